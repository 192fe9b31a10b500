"""In a real browser, at phone and desktop width: what changed since your last visit, the
confirmations before destructive actions (with and without JavaScript), the consent page on a
phone, the layout of the case page and the favicon."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pycrdt import Array, Doc, Map, Text
from sqlmodel import Session

from app.db import make_engine
from tests.browser.conftest import SHOTS
from tests.docs_helpers import document_id, edit

pytestmark = pytest.mark.browser

SIZES = [(390, 844, "phone"), (1280, 900, "desktop")]


def _write(live_server, section: str, change: Callable[[Doc], None], author: str) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(live_server.database_url)
    try:
        with Session(engine) as db:
            owner = None
            doc_id = document_id(db, live_server.case_id, section, owner)
            edit(db, doc_id, change, live_server.people[author].id)
    finally:
        engine.dispose()


def _goal(text: str, goal_id: str) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        doc.get("doelen", type=Array).append(
            Map({"id": goal_id, "doel": Text(text), "status": "actief", "acties": Array([])})
        )

    return change


@pytest.mark.parametrize(("width", "height", "name"), SIZES)
def test_the_youth_and_her_mother_see_what_changed_since_their_last_visit(
    live_server, open_as, width, height, name
) -> None:  # type: ignore[no-untyped-def]
    case_url = f"{live_server.url}/cases/{live_server.case_id}"
    sanne = open_as("jongere", width=width, height=height)
    marieke = open_as("moeder", width=width, height=height)
    for page, person, sections in (
        (sanne, "jongere", ("plan", "analyse")),
        (marieke, "moeder", ("plan",)),
    ):
        for section in sections:
            page.goto(live_server.doc_url(person, section))
            page.wait_for_selector("#editor-status[data-state=saved]")
        page.goto(case_url)
    # Everyone left, so the rooms unload (after 2 s); what is written next is read from the log.
    sanne.wait_for_timeout(3500)
    _write(live_server, "plan", _goal("Sanne zoekt een bijbaantje", "g1"), "jongere")

    def strengths(doc: Doc) -> None:
        doc.get("krachten", type=Text).insert(0, "Sanne tekent goed.")

    _write(live_server, "analyse", strengths, "aanspreekpunt")
    for page, who in ((sanne, "jongere"), (marieke, "moeder")):
        page.goto(case_url)
        news = page.locator("section.news")
        assert news.get_by_role("heading", name="Nieuw sinds je laatste bezoek").is_visible()
        page.screenshot(path=f"{SHOTS}/news-{who}-case-{name}.png", full_page=True)
    mother_news = marieke.locator("section.news").inner_text()
    assert "Sanne zoekt een bijbaantje" in mother_news and "door Sanne" in mother_news
    youth_news = sanne.locator("section.news").inner_text()
    assert "bijbaantje" not in youth_news  # her own goal is not news to her
    assert "Wat gaat goed?" in youth_news and "door Wendy WIJ" in youth_news
    # opening the document marks it seen: the plan is no longer new for the mother
    marieke.locator("section.news").get_by_role("link", name="Plan van aanpak").click()
    marieke.wait_for_selector("#editor-status[data-state=saved]")
    marieke.wait_for_function(
        "() => [...document.querySelectorAll('textarea')].some("
        "t => t.value === 'Sanne zoekt een bijbaantje')"
    )
    marieke.screenshot(path=f"{SHOTS}/news-moeder-plan-{name}.png", full_page=True)
    sanne.locator("section.news").get_by_role("link", name="Gedeelde analyse").click()
    sanne.wait_for_selector("#editor-status[data-state=saved]")
    sanne.wait_for_function(
        "() => [...document.querySelectorAll('textarea')]"
        ".some(t => t.value === 'Sanne tekent goed.')"
    )
    sanne.screenshot(path=f"{SHOTS}/news-jongere-analyse-{name}.png", full_page=True)
    marieke.goto(case_url)
    assert "Sanne zoekt een bijbaantje" not in marieke.locator("section.news").inner_text()


def test_withdrawing_consent_asks_first_with_javascript(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    page = open_as("jongere", width=390, height=844)
    page.goto(f"{live_server.url}/cases/{live_server.case_id}/toestemming")
    page.locator("form:has(input[name=audience][value=school]) button.button").first.click()
    page.wait_for_load_state()
    asked: list[str] = []

    def answer(dialog, accept: bool) -> None:  # type: ignore[no-untyped-def]
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    withdraw = page.get_by_role("button", name="Toestemming intrekken voor school")
    page.once("dialog", lambda d: answer(d, False))
    withdraw.click()
    page.wait_for_timeout(300)
    assert asked and "Weet je zeker" in asked[0] and "link voor school" in asked[0]
    assert withdraw.is_visible()  # "no": nothing happened
    page.once("dialog", lambda d: answer(d, True))
    withdraw.click()
    page.wait_for_url("**opgeslagen=withdrawn**")
    assert page.get_by_text("Je toestemming is ingetrokken.").is_visible()


def test_withdrawing_consent_asks_on_a_page_without_javascript(
    live_server, open_as, browser
) -> None:  # type: ignore[no-untyped-def]
    signed_in = open_as("jongere")
    state = signed_in.context.storage_state()
    context = browser.new_context(
        java_script_enabled=False, storage_state=state, viewport={"width": 390, "height": 844}
    )
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/cases/{live_server.case_id}/toestemming")
        page.locator("form:has(input[name=audience][value=school]) button.button").first.click()
        page.get_by_role("button", name="Toestemming intrekken voor school").click()
        assert page.get_by_role("heading", name="Toestemming intrekken?").is_visible()
        page.screenshot(path=f"{SHOTS}/confirm-no-js-phone.png", full_page=True)
        page.get_by_role("button", name="Ja, intrekken").click()
        assert page.get_by_text("Je toestemming is ingetrokken.").is_visible()
    finally:
        context.close()


@pytest.mark.parametrize(("width", "height", "name"), SIZES)
def test_the_consent_page_is_short_and_scannable(live_server, open_as, width, height, name) -> None:  # type: ignore[no-untyped-def]
    for who in ("jongere", "moeder"):
        page = open_as(who, width=width, height=height)
        page.goto(f"{live_server.url}/cases/{live_server.case_id}/toestemming")
        total = page.evaluate("document.documentElement.scrollHeight")
        page.screenshot(path=f"{SHOTS}/consent-{who}-{name}.png", full_page=True)
        assert total < 2100, f"{who}: {total}px"  # it was 3,600 on a phone
        # the network block never says that a school link stops
        netwerk = page.locator("section.consent-block", has_text="Delen met familie en netwerk")
        netwerk.locator("summary").click()
        assert "school" not in netwerk.inner_text().lower()


@pytest.mark.parametrize(("width", "height", "name"), SIZES)
def test_the_people_card_keeps_its_distance_and_no_request_is_refused(
    live_server, open_as, width, height, name
) -> None:  # type: ignore[no-untyped-def]
    page = open_as("aanspreekpunt", width=width, height=height)
    refused: list[str] = []
    page.on("response", lambda r: refused.append(r.url) if r.status >= 400 else None)
    for path in ("/", f"/cases/{live_server.case_id}", f"/cases/{live_server.case_id}/versies"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    assert refused == []
    page.goto(f"{live_server.url}/cases/{live_server.case_id}")
    stories = page.locator("section[aria-labelledby=kop-verhalen] .doc-list").bounding_box()
    people = page.locator("section[aria-labelledby=kop-wie]").bounding_box()
    assert stories is not None and people is not None
    assert people["y"] - (stories["y"] + stories["height"]) >= 12
    page.screenshot(path=f"{SHOTS}/case-aanspreekpunt-{name}.png", full_page=True)
    icon = page.request.get(f"{live_server.url}/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/x-icon"
