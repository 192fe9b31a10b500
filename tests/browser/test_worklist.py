"""In a real browser: the aanspreekpunt's worklist at phone and desktop width, searched by
typing (htmx swaps the list, the address follows), used with the keyboard alone, and Back."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from app.db import make_engine
from app.services import demo_worklist
from app.settings import Settings
from tests.browser.conftest import SHOTS, LiveServer

pytestmark = pytest.mark.browser


def seed_worklist(live_server: LiveServer) -> str:
    engine = make_engine(live_server.database_url)
    assert live_server.people is not None
    with Session(engine, expire_on_commit=False) as db:
        case_id = demo_worklist.seed_worklist_family(
            db,
            aanspreekpunt=live_server.people["aanspreekpunt"],
            suffix=f"-{live_server.case_id[:6]}",
            settings=Settings(public_url=live_server.url, database_url=live_server.database_url),
        )
    engine.dispose()
    return case_id


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)], ids=["phone", "desktop"])
def test_the_worklist_reads_well_on_a_phone_and_a_desktop(
    live_server, open_as, width, height
) -> None:  # type: ignore[no-untyped-def]
    seed_worklist(live_server)
    page = open_as("aanspreekpunt", width=width, height=height)
    page.goto(f"{live_server.url}/")
    page.get_by_role("heading", name="Mijn gezinnen").wait_for()
    visser = page.locator("li.family", has_text="Gezin Visser")
    assert visser.get_by_text("Te laat", exact=True).is_visible()
    for label in ("Wacht op akkoord", "Toestemming", "Verjaardag", "Link stopt"):
        assert visser.get_by_text(label).first.is_visible(), label
    # nothing sticks out sideways on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"worklist-{width}.png"), full_page=True)


def test_typing_a_name_filters_the_list_without_a_new_page(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    seed_worklist(live_server)
    page = open_as("aanspreekpunt", width=390, height=844)
    page.goto(f"{live_server.url}/")
    assert page.locator("li.family").count() == 2
    page.evaluate("window.__same_page = true")
    page.get_by_label("Zoek op naam").fill("viss")
    page.locator("li.family").nth(1).wait_for(state="detached")
    assert page.evaluate("window.__same_page") is True  # htmx swapped the list in place
    assert "q=viss" in page.url
    assert page.get_by_role("status").first.inner_text().startswith("1 gezin")
    # with the keyboard alone: choose a filter and send the form
    page.get_by_label("Zoek op naam").fill("")
    page.locator("li.family").nth(1).wait_for()  # both families again
    page.get_by_label("Laat zien").focus()
    page.get_by_label("Laat zien").select_option("te_laat")
    page.locator("li.family").nth(1).wait_for(state="detached")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    assert page.locator("li.family", has_text="Gezin Visser").count() == 1


def test_back_shows_the_list_and_the_choices_that_belong_to_the_address(
    live_server, open_as
) -> None:  # type: ignore[no-untyped-def]
    seed_worklist(live_server)
    page = open_as("aanspreekpunt", width=390, height=844)
    page.goto(f"{live_server.url}/")
    families = page.locator("li.family h3")
    assert families.all_inner_texts() == ["Gezin Visser", "Gezin De Vries"]  # overdue first
    page.get_by_label("Volgorde").select_option("naam")
    page.wait_for_url("**sorteer=naam**")
    expect(families.first).to_have_text("Gezin De Vries")
    page.get_by_label("Laat zien").select_option("te_doen")
    page.wait_for_url("**toon=te_doen**")
    expect(families).to_have_count(1)
    page.go_back()
    page.wait_for_url(lambda u: "toon=te_doen" not in u)
    expect(families).to_have_count(2)
    page.wait_for_load_state("networkidle")
    assert "sorteer=naam" in page.url
    assert families.all_inner_texts() == ["Gezin De Vries", "Gezin Visser"]
    assert page.get_by_label("Volgorde").input_value() == "naam"  # not the default
    assert page.get_by_label("Laat zien").input_value() == ""
    assert page.locator("h1").count() == 1 and page.locator("form[role=search]").count() == 1
    # the restored page still filters in place
    page.evaluate("window.__same_page = true")
    page.get_by_label("Volgorde").select_option("urgent")
    expect(families.first).to_have_text("Gezin Visser")
    assert page.evaluate("window.__same_page") is True
