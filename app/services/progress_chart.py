"""The geometry of a small line chart, drawn as SVG by ``_partials/progress_chart.html``.

Pure arithmetic, no drawing: the template writes the SVG from these numbers, so the chart
renders on the server (for the page, the print and the PDF alike) and needs no script and no
library. No value a person typed ever reaches the SVG: only scores, version numbers and
fixed labels.

Meaning never hangs on colour: each point carries its number as text; a missing or invalid
score is a gap in the line with a "?" or "!" on the axis (nothing is drawn where nobody gave
a score); the point of "now" (not adopted yet) is hollow.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 320
HEIGHT = 164
PLOT_LEFT = 34
PLOT_RIGHT = WIDTH - 12
PLOT_TOP = 24
PLOT_BOTTOM = 128
AXIS_LABEL_Y = 150
EDGE_PAD = 16  # keeps the first and last point (and their numbers) off the plot's edge


@dataclass(frozen=True)
class ChartValue:
    """One moment on the chart: its short label ('V2', 'Nu'), the score (None: none to
    draw) and why there is none ('leeg' or 'ongeldig')."""

    label: str
    value: int | None
    problem: str = ""
    is_now: bool = False


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float | None  # None: nothing to draw at this moment
    text: str  # the number, or "?" (missing) / "!" (invalid)
    label: str
    is_now: bool


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True)
class LineChart:
    chart_id: str
    title: str  # the chart's accessible name, with every value in words
    marker: str  # "circle" or "square": the two measures look different without colour
    dashed: bool
    ticks: list[Tick]
    points: list[ChartPoint]
    runs: list[str]  # SVG polyline point lists: consecutive drawn points, never across a gap
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = PLOT_LEFT
    plot_right: int = PLOT_RIGHT
    plot_top: int = PLOT_TOP
    plot_bottom: int = PLOT_BOTTOM
    axis_label_y: int = AXIS_LABEL_Y

    @property
    def missing_y(self) -> float:
        """Where the "?" of a missing score stands: just above the axis."""
        return PLOT_BOTTOM - 4


def _x(index: int, count: int) -> float:
    if count == 1:
        return (PLOT_LEFT + PLOT_RIGHT) / 2
    span = PLOT_RIGHT - PLOT_LEFT - 2 * EDGE_PAD
    return round(PLOT_LEFT + EDGE_PAD + index * span / (count - 1), 1)


def _y(value: int, low: int, high: int) -> float:
    return round(PLOT_BOTTOM - (value - low) * (PLOT_BOTTOM - PLOT_TOP) / (high - low), 1)


def line_chart(
    *,
    chart_id: str,
    title: str,
    values: list[ChartValue],
    low: int,
    high: int,
    step: int,
    marker: str = "circle",
    dashed: bool = False,
) -> LineChart:
    """A chart of ``values`` on the scale ``low``–``high`` (grid lines every ``step``)."""
    ticks = [Tick(_y(v, low, high), str(v)) for v in range(low, high + 1, step)]
    points: list[ChartPoint] = []
    runs: list[str] = []
    run: list[str] = []
    for index, item in enumerate(values):
        x = _x(index, len(values))
        if item.value is None:
            text = "!" if item.problem == "ongeldig" else "?"
            points.append(ChartPoint(x, None, text, item.label, item.is_now))
            if len(run) > 1:
                runs.append(" ".join(run))
            run = []
            continue
        y = _y(item.value, low, high)
        points.append(ChartPoint(x, y, str(item.value), item.label, item.is_now))
        run.append(f"{x},{y}")
    if len(run) > 1:
        runs.append(" ".join(run))
    return LineChart(chart_id, title, marker, dashed, ticks, points, runs)
