"""In a real browser: youth and parent consent, the aanspreekpunt shares with school, and the
school's page shows only its scope — until consent is withdrawn."""

from __future__ import annotations

import httpx
import pytest
from pycrdt import Array, Doc, Map, Text
from sqlmodel import Session

from app.db import make_engine
from tests.browser.conftest import SHOTS
from tests.docs_helpers import document_id, edit

pytestmark = pytest.mark.browser

SCHOOL_GOAL = "Sanne is elke schooldag om half negen in de klas"
SAFETY_MARKER = "VEILIGHEID-GEHEIM-4821"
ANALYSIS_MARKER = "ANALYSE-GEHEIM-1937"


def _fill(database_url: str, case_id: str) -> None:
    engine = make_engine(database_url)
    with Session(engine) as db:

        def plan(doc: Doc) -> None:
            doc.get("doelen", type=Array).append(
                Map(
                    {
                        "id": "g1",
                        "doel": Text(SCHOOL_GOAL),
                        "status": "actief",
                        "domein": "school_werk",
                        "acties": Array(
                            [
                                Map(
                                    {
                                        "id": "a1",
                                        "wat": Text("Mentor belt als Sanne er niet is"),
                                        "wie": "anders",
                                        "wie_naam": Text("Mentor"),
                                        "status": "te_doen",
                                    }
                                )
                            ]
                        ),
                    }
                )
            )

        def safety(doc: Doc) -> None:
            doc.get("zorgen", type=Array).append(Map({"id": "z1", "tekst": Text(SAFETY_MARKER)}))

        def analysis(doc: Doc) -> None:
            doc.get("krachten", type=Text).insert(0, ANALYSIS_MARKER)

        edit(db, document_id(db, case_id, "plan"), plan, None)
        edit(db, document_id(db, case_id, "veiligheid"), safety, None)
        edit(db, document_id(db, case_id, "analyse"), analysis, None)
    engine.dispose()


def _consent(page, url: str, case_id: str, decision: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/cases/{case_id}/toestemming")
    page.on("dialog", lambda dialog: dialog.accept())
    form = page.locator(
        f"form:has(input[name=audience][value=school]):has(input[name=decision][value={decision}])"
    )
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_youth_and_mother_consent_and_school_sees_only_its_part(
    live_server, open_as, browser
) -> None:  # type: ignore[no-untyped-def]
    url, case_id = live_server.url, live_server.case_id
    _fill(live_server.database_url, case_id)
    wendy = open_as("aanspreekpunt")

    # without consent the aanspreekpunt cannot make a link, and is told who must consent
    wendy.goto(f"{url}/cases/{case_id}/delen")
    wendy.fill("#f-label", "Mentor Noorderpoort")
    wendy.fill("#f-expires_in_days", "30")
    wendy.get_by_role("button", name="Link maken").click()
    wendy.wait_for_load_state()
    refusal = wendy.content()
    assert "Sanne" in refusal and "Marieke" in refusal
    assert wendy.locator("#share-link").count() == 0

    sanne = open_as("jongere", width=390, height=844)
    _consent(sanne, url, case_id, "given")
    sanne.screenshot(path=str(SHOTS / "consent-youth-phone.png"), full_page=True)
    marieke = open_as("moeder")
    _consent(marieke, url, case_id, "given")

    wendy.goto(f"{url}/cases/{case_id}/delen")
    wendy.fill("#f-label", "Mentor Noorderpoort")
    wendy.fill("#f-expires_in_days", "30")
    wendy.get_by_role("button", name="Link maken").click()
    wendy.wait_for_selector("#share-link")
    share_url = wendy.input_value("#share-link")

    school = browser.new_context(viewport={"width": 390, "height": 844}, locale="nl-NL")
    try:
        page = school.new_page()
        response = page.goto(share_url)
        assert response is not None and response.status == 200
        text = page.content()
        assert SCHOOL_GOAL in text
        assert "Mentor belt als Sanne er niet is" in text
        assert SAFETY_MARKER not in text
        assert ANALYSIS_MARKER not in text
        page.screenshot(path=str(SHOTS / "share-school-phone.png"), full_page=True)

        # the youth withdraws: the school's link dies at once
        _consent(sanne, url, case_id, "withdrawn")
        assert page.goto(share_url).status == 410  # type: ignore[union-attr]
    finally:
        school.close()
    assert httpx.get(share_url).status_code == 410
