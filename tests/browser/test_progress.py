"""In a real browser: an evaluation round, three adopted versions with different scores, and
the progress page at phone and desktop width (axe-core clean, nothing wider than the screen),
with screenshots of the page and of the printed PDF in /tmp/shots."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest
from pycrdt import Array, Doc, Map, Text
from sqlmodel import Session

from app.db import make_engine
from tests.browser.conftest import SHOTS
from tests.browser.test_accessibility import AXE, _violations
from tests.docs_helpers import document_id, edit

pytestmark = pytest.mark.browser

# Per version (and the last one: now): youth's scale, self-reliance, norm met?
SCORES: dict[str, list[tuple[Any, Any, str]]] = {
    "steun": [(4, 2, "nee"), (6, 3, "nee"), (7, 4, "ja"), (8, 4, "ja")],
    "wonen": [(3, 2, "nee"), (5, 3, "ja"), (8, 4, "ja"), (9, 4, "ja")],
    "school_werk": [(2, 1, "nee"), (None, 2, "nee"), (6, 3, "ja"), (7, 3, "ja")],
    "inkomen": [(5, 2, "nee"), (5, 2, "nee"), (14, 3, "nee"), (6, 3, "nee")],
    "welzijn": [(3, 1, "nee"), (4, 2, "nee"), (6, 3, "ja"), (7, 4, "ja")],
}


def _set_scores(database_url: str, case_id: str, step: int, author: int) -> None:
    engine = make_engine(database_url)
    with Session(engine) as db:

        def perspective(doc: Doc) -> None:
            for domain, steps in SCORES.items():
                schaal, zelf, met = steps[step]
                values = doc.get(f"domein.{domain}", type=Map)
                for key, value in (("schaal_jongere", schaal), ("zelfredzaamheid", zelf)):
                    if value is None:
                        if key in values:
                            del values[key]
                    else:
                        values[key] = value
                values["norm_gehaald"] = met
                if step == 0:
                    doc.get(f"domein.{domain}.norm", type=Text).insert(
                        0, "Het gaat een half jaar goed zonder extra hulp."
                    )

        edit(db, document_id(db, case_id, "perspectief"), perspective, author)
        if step == 0:

            def plan(doc: Doc) -> None:
                goals = doc.get("doelen", type=Array)
                for goal_id, text in (
                    ("g1", "Elke schooldag op tijd in de klas"),
                    ("g2", "Een bijbaan vinden"),
                ):
                    goals.append(
                        Map(
                            {
                                "id": goal_id,
                                "doel": Text(text),
                                "status": "actief",
                                "domein": "school_werk",
                                "acties": Array([]),
                            }
                        )
                    )

            edit(db, document_id(db, case_id, "plan"), plan, author)
    engine.dispose()


def _adopt(page, url: str, case_id: str, title: str, date: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/cases/{case_id}/versies")
    page.fill("#f-title", title)
    page.fill("#f-meeting_date", date)
    page.get_by_role("button", name="Versie vaststellen").click()
    page.wait_for_url(lambda u: "?nieuw=1" in u)


def _open_round(page, url: str, case_id: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/cases/{case_id}/evaluatie")
    page.get_by_role("button", name="Evaluatieronde starten").click()
    page.wait_for_url(lambda u: "gestart=1" in u)


def _give_scores(page, url: str, case_id: str, scores: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/cases/{case_id}")
    page.get_by_role("link", name="Cijfers geven").click()
    for label, score in scores.items():
        page.get_by_label(label).fill(score)
    page.get_by_role("button", name="Cijfers opslaan").click()
    page.get_by_text("Je cijfers zijn opgeslagen").wait_for()


def test_progress_after_three_versions_at_phone_and_desktop_width(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make node-deps`")
    url, case_id, db_url = live_server.url, live_server.case_id, live_server.database_url
    wendy_id = live_server.people["aanspreekpunt"].id
    wendy = open_as("aanspreekpunt")
    sanne = open_as("jongere", width=390, height=844)
    marieke = open_as("moeder", width=390, height=844)

    _set_scores(db_url, case_id, 0, wendy_id)
    _open_round(wendy, url, case_id)
    # the youth is asked on the case page; a score outside 0-10 is refused, what was typed stays
    sanne.goto(f"{url}/cases/{case_id}")
    ask = sanne.locator("section", has=sanne.get_by_role("heading", name="Geef je cijfers"))
    assert "Doel: Elke schooldag op tijd in de klas" in ask.inner_text()
    sanne.screenshot(path=str(SHOTS / "evaluation-ask-phone.png"), full_page=True)
    ask.get_by_role("link", name="Cijfers geven").click()
    sanne.get_by_label("Wonen").fill("12")
    sanne.get_by_label("Steun").fill("5")
    sanne.get_by_role("button", name="Cijfers opslaan").click()
    assert sanne.get_by_role("alert").inner_text() == "Controleer de cijfers hieronder."
    assert sanne.get_by_label("Wonen").input_value() == "12"
    assert sanne.get_by_label("Steun").input_value() == "5"
    sanne.screenshot(path=str(SHOTS / "evaluation-form-error-phone.png"), full_page=True)
    _give_scores(
        sanne, url, case_id, {"Doel 1: Elke schooldag op tijd in de klas": "7", "Wonen": "6"}
    )
    _give_scores(
        marieke, url, case_id, {"Doel 1: Elke schooldag op tijd in de klas": "4", "Wonen": "3"}
    )
    _adopt(wendy, url, case_id, "Zorgoverleg maart", "2026-03-12")
    _set_scores(db_url, case_id, 1, wendy_id)
    _adopt(wendy, url, case_id, "Zorgoverleg juni", "2026-06-18")  # no round this time
    _set_scores(db_url, case_id, 2, wendy_id)
    _open_round(wendy, url, case_id)
    _give_scores(
        sanne, url, case_id, {"Doel 1: Elke schooldag op tijd in de klas": "9", "Wonen": "8"}
    )
    _adopt(wendy, url, case_id, "Zorgoverleg september", "2026-09-24")
    _set_scores(db_url, case_id, 3, wendy_id)

    problems: dict[str, Any] = {}
    for who, page in (("wendy", wendy), ("sanne", sanne)):
        for width, height, name in ((390, 844, "phone"), (1280, 900, "desktop")):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{url}/cases/{case_id}/voortgang")
            page.wait_for_load_state("networkidle")
            if found := _violations(page):
                problems[f"{who} {name}"] = found
            wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert wider <= 0, f"{who} {name}: the page is {wider}px wider than the screen"
            page.screenshot(path=str(SHOTS / f"progress-{who}-{name}.png"), full_page=True)
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)

    # what a person sees: the numbers of every version and now, the signal for professionals
    wendy.goto(f"{url}/cases/{case_id}/voortgang")
    wonen = wendy.locator("section.progress-domain", has=wendy.locator("#dom-wonen"))
    rows = wonen.locator("table.progress-table tbody tr")
    assert rows.count() == 4
    assert [rows.nth(i).locator("td").nth(0).inner_text() for i in range(4)] == ["3", "5", "8", "9"]
    assert wonen.locator("svg.progress-chart").count() == 2
    assert wendy.get_by_role("heading", name="Klaar om los te laten?").is_visible()
    sanne.goto(f"{url}/cases/{case_id}/voortgang")
    assert sanne.get_by_role("heading", name="Klaar om los te laten?").count() == 0
    inkomen = sanne.locator("table", has=sanne.get_by_text("Inkomen (geld): de cijfers"))
    assert "ongeldig" in inkomen.inner_text()

    response = wendy.request.get(f"{url}/cases/{case_id}/print.pdf")
    assert response.status == 200
    SHOTS.mkdir(parents=True, exist_ok=True)
    pdf = SHOTS / "progress-print.pdf"
    pdf.write_bytes(response.body())
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-r", "70", "-png", str(pdf), str(SHOTS / "progress-print")], check=True
        )
