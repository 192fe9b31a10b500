"""In a real browser: the print page of a plan on a phone (390 px) reads without sliding
sideways, and its landmarks are in order."""

from __future__ import annotations

import pytest

from tests.browser.conftest import SHOTS
from tests.browser.test_accessibility import AXE
from tests.browser.test_progress import _set_scores

pytestmark = pytest.mark.browser

PHONE = 390

# Per table cell: could a word be broken in the middle ("Evalu-atie")?
BROKEN_WORDS = """() => [...document.querySelectorAll('th, td')].filter(cell => {
  const style = getComputedStyle(cell)
  return style.hyphens === 'auto' || style.overflowWrap === 'anywhere'
    || style.wordBreak === 'break-all'
}).length"""


def test_the_print_page_fits_a_phone_with_its_charts_tables_and_button(
    live_server, open_as
) -> None:  # type: ignore[no-untyped-def]
    assert live_server.people is not None
    author = live_server.people["aanspreekpunt"].id
    _set_scores(live_server.database_url, live_server.case_id, 0, author)
    page = open_as("aanspreekpunt", width=PHONE, height=844)
    page.goto(f"{live_server.url}/cases/{live_server.case_id}/print")
    assert page.locator(".progress-chart").count() >= 2  # the Zelfredzaamheid chart among them
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    rights = page.evaluate(
        "[...document.querySelectorAll('svg.progress-chart')]"
        ".map(svg => svg.getBoundingClientRect().right)"
    )
    assert max(rights) <= PHONE
    # a chart keeps its shape when it shrinks
    ratio = page.evaluate(
        "(() => { const r = document.querySelector('svg.progress-chart').getBoundingClientRect();"
        " const v = document.querySelector('svg.progress-chart').viewBox.baseVal;"
        " return (r.width / r.height) / (v.width / v.height) })()"
    )
    assert 0.95 < ratio < 1.05
    assert page.evaluate(BROKEN_WORDS) == 0
    # a table wider than the phone scrolls in its own box, which stays on the screen
    boxes = page.evaluate(
        "[...document.querySelectorAll('.table-scroll')]"
        ".map(box => box.getBoundingClientRect().right)"
    )
    assert boxes and max(boxes) <= PHONE
    button = page.get_by_role("button", name="Afdrukken").bounding_box()
    assert button is not None and button["width"] >= 44 and button["height"] >= 44
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "print-390.png"), full_page=True)


def test_the_print_page_has_one_main_landmark_that_holds_everything(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make node-deps`")
    page = open_as("aanspreekpunt", width=PHONE, height=844)
    page.goto(f"{live_server.url}/cases/{live_server.case_id}/print")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'rule', values: ['landmark-one-main', 'region']}})"
    )
    assert [v["id"] for v in result["violations"]] == []
    assert len(result["passes"]) == 2
