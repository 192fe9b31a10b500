"""The rules of progress that need no database: reading a score, a norm, the chart, and
"klaar om los te laten?"."""

from __future__ import annotations

from datetime import date

from pycrdt import Doc, Map, Text

from app.models import Version
from app.services.progress import (
    DomainPoint,
    DomainProgress,
    Moment,
    Norm,
    Score,
    read_norm,
    read_score,
    readiness_of,
)
from app.services.progress_chart import ChartValue, line_chart


def _values(**values: object) -> Map:
    doc: Doc = Doc()
    scores = doc.get("domein.wonen", type=Map)
    for key, value in values.items():
        scores[key] = value
    return scores


def test_only_whole_numbers_within_the_scale_count_as_a_score() -> None:
    assert read_score(_values(schaal_jongere=0), "schaal_jongere") == Score(0)
    assert read_score(_values(schaal_jongere=10.0), "schaal_jongere") == Score(10)
    assert read_score(_values(), "schaal_jongere") == Score(None, "leeg")
    for wrong in (11, -1, 6.5, "7", True, float("nan")):
        assert read_score(_values(schaal_jongere=wrong), "schaal_jongere") == Score(
            None, "ongeldig"
        ), wrong
    assert read_score(_values(zelfredzaamheid=0), "zelfredzaamheid") == Score(None, "ongeldig")
    assert read_score(_values(zelfredzaamheid=5), "zelfredzaamheid") == Score(5)
    assert Score(None, "leeg").shown == "ontbreekt"
    assert Score(None, "ongeldig").shown == "ongeldig"


def test_a_norm_is_met_only_as_chosen_and_only_when_it_is_written_down() -> None:
    doc: Doc = Doc()
    doc.get("domein.wonen", type=Map)["norm_gehaald"] = "ja"
    assert read_norm(doc, "wonen") == Norm("", "ja")
    assert read_norm(doc, "wonen").met is None
    doc.get("domein.wonen.norm", type=Text).insert(0, "Een eigen kamer")
    assert read_norm(doc, "wonen").met is True
    doc.get("domein.wonen", type=Map)["norm_gehaald"] = "misschien"  # not an option
    assert read_norm(doc, "wonen") == Norm("Een eigen kamer", None)
    assert Norm("Een eigen kamer", "nee").met is False
    assert Norm("   ", "ja").shown.startswith("Telt nog niet")


def test_the_chart_never_draws_a_line_across_a_missing_score() -> None:
    chart = line_chart(
        chart_id="c",
        title="t",
        values=[
            ChartValue("V1", 2),
            ChartValue("V2", 4),
            ChartValue("V3", None, "leeg"),
            ChartValue("V4", 6),
            ChartValue("V5", None, "ongeldig"),
            ChartValue("Nu", 10, is_now=True),
        ],
        low=0,
        high=10,
        step=2,
    )
    assert [p.text for p in chart.points] == ["2", "4", "?", "6", "!", "10"]
    assert [p.y is None for p in chart.points] == [False, False, True, False, True, False]
    assert len(chart.runs) == 1 and chart.runs[0].count(",") == 2  # V1–V2 only
    assert chart.points[-1].is_now
    ys = [p.y for p in chart.points if p.y is not None]
    assert ys == sorted(ys, reverse=True)  # higher scores stand higher
    assert chart.points[-1].y == chart.plot_top and [t.text for t in chart.ticks][0] == "0"


def _moment(number: int | None) -> Moment:
    version = None
    if number is not None:
        version = Version(
            case_id="c",
            number=number,
            title="v",
            adopted_by_id=1,
            previous_hash="",
            content_hash="",
        )
    return Moment(version, date(2026, 1, number or 28))


def _domain(name: str, norms: list[Norm]) -> DomainProgress:
    moments = [_moment(1), _moment(2), _moment(3), _moment(None)][-len(norms) :]
    points = [
        DomainPoint(m, Score(5), Score(3), norm) for m, norm in zip(moments, norms, strict=True)
    ]
    return DomainProgress(name, name.capitalize(), points)


def test_ready_only_when_every_domain_met_its_norm_at_the_last_two_versions() -> None:
    met, not_met, unjudged = Norm("x", "ja"), Norm("x", "nee"), Norm("x", None)
    moments = [_moment(1), _moment(2), _moment(3), _moment(None)]
    names = ["steun", "wonen", "school_werk", "inkomen", "welzijn"]
    # version 1 did not meet the norm, versions 2 and 3 did: ready (now does not count)
    ready = readiness_of([_domain(n, [not_met, met, met, not_met]) for n in names], moments)
    assert ready.ready and ready.not_met == [] and not ready.too_few
    assert [m.number for m in ready.evaluations] == [2, 3]
    domains = [_domain(n, [met, met, met, met]) for n in names]
    domains[1] = _domain("wonen", [met, unjudged, not_met, met])
    waiting = readiness_of(domains, moments)
    assert not waiting.ready
    assert [(n.domain, n.reasons) for n in waiting.not_met] == [
        ("wonen", ["Versie 2: nog niet beoordeeld.", "Versie 3: nog niet stabiel genoeg."])
    ]
    # one version is not two, whatever its norms say
    one = readiness_of([_domain(n, [met, met]) for n in names], [_moment(3), _moment(None)])
    assert not one.ready and one.too_few and one.not_met == []
