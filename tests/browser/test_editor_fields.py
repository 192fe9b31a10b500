"""Every kind of field keeps what was typed: type, wait for "Opgeslagen", reload, still there.

The field is never left before the reload: a value that is stored only when you leave the
field (as numbers were) is lost when someone closes the tab or reloads right away.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.crdt.schema import read_document
from app.db import make_engine
from app.services import membership
from tests.browser.editor_helpers import open_doc, reload, wait_saved

pytestmark = pytest.mark.browser


def control(page, path: str, css: str = "input, textarea, select"):  # type: ignore[no-untyped-def]
    """The control of the field with this data-path (the editor's own field address)."""
    return page.locator(f'[data-path="{path}"]').locator(css).first


def add_goal(page, words: str) -> str:  # type: ignore[no-untyped-def]
    """Add a goal, type its words (the new goal's first field has the focus); its item id."""
    page.get_by_role("button", name="Doel toevoegen").click()
    page.keyboard.type(words)
    return str(page.locator(".item").last.get_attribute("data-id"))


def test_a_number_typed_by_the_youth_is_still_there_after_a_reload(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    sanne = open_as("jongere", width=390, height=844)
    open_doc(sanne, live_server.doc_url("jongere", "perspectief"))
    score = control(sanne, "domein.wonen/schaal_jongere")
    score.click()
    sanne.keyboard.type("7")
    wait_saved(sanne)  # without leaving the field
    reload(sanne)
    assert control(sanne, "domein.wonen/schaal_jongere").input_value() == "7"
    doc = live_server.stored_doc(live_server.docs["jongere"]["perspectief"])
    assert read_document("perspectief", doc)["domein"]["wonen"]["schaal_jongere"] == 7


def test_the_score_of_a_safety_agreement_is_still_there_after_a_reload(
    live_server, open_as
) -> None:  # type: ignore[no-untyped-def]
    wendy = open_as("aanspreekpunt")
    open_doc(wendy, live_server.doc_url("aanspreekpunt", "veiligheid"))
    wendy.get_by_role("button", name="Afspraak toevoegen").click()
    wendy.keyboard.type("Bellen als het misgaat")
    item = wendy.locator(".item").first.get_attribute("data-id")
    control(wendy, f"afspraken/{item}/schaal").click()
    wendy.keyboard.type("10")
    wait_saved(wendy)
    reload(wendy)
    assert control(wendy, f"afspraken/{item}/schaal").input_value() == "10"
    assert control(wendy, f"afspraken/{item}/afspraak").input_value() == "Bellen als het misgaat"


def test_a_number_out_of_range_is_explained_and_what_was_stored_stays(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    sanne = open_as("jongere")
    open_doc(sanne, live_server.doc_url("jongere", "perspectief"))
    field = "domein.steun/schaal_jongere"

    def stored() -> object:
        doc = live_server.stored_doc(live_server.docs["jongere"]["perspectief"])
        return read_document("perspectief", doc)["domein"]["steun"]["schaal_jongere"]

    control(sanne, field).click()
    sanne.keyboard.type("6")
    wait_saved(sanne)
    sanne.keyboard.press("Tab")
    for typed in ("11", "7,5"):
        control(sanne, field).click()
        sanne.keyboard.press("ControlOrMeta+a")
        sanne.keyboard.type(typed)
        sanne.get_by_text("Niet opgeslagen: vul een heel getal in van 0 tot en met 10.").wait_for()
        wait_saved(sanne)
        # "1" and "7" were fine numbers on the way; neither replaces the 6 that was there
        assert stored() == 6, typed
        # what was typed stays in the field, so it can be corrected
        assert control(sanne, field).input_value() in (typed, typed.replace(",", ""), "")
    reload(sanne)
    assert control(sanne, field).input_value() == "6"


def test_a_date_typed_with_the_keyboard_is_still_there_after_a_reload(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    wendy = open_as("aanspreekpunt")
    open_doc(wendy, live_server.doc_url("aanspreekpunt", "plan"))
    goal = add_goal(wendy, "Weer naar school")
    date = control(wendy, f"doelen/{goal}/evaluatiedatum")
    date.focus()
    wendy.keyboard.type("01032027")  # the order of day and month follows the browser's language
    typed = date.input_value()
    assert typed in ("2027-03-01", "2027-01-03")
    wait_saved(wendy)
    reload(wendy)
    assert control(wendy, f"doelen/{goal}/evaluatiedatum").input_value() == typed


def test_a_choice_is_still_there_after_a_reload(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    wendy = open_as("aanspreekpunt")
    open_doc(wendy, live_server.doc_url("aanspreekpunt", "plan"))
    goal = add_goal(wendy, "Weer naar school")
    control(wendy, f"doelen/{goal}/domein").select_option("school_werk")
    wait_saved(wendy)
    reload(wendy)
    assert control(wendy, f"doelen/{goal}/domein").input_value() == "school_werk"


def test_a_flag_is_still_there_after_a_reload(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    marieke = open_as("moeder")
    open_doc(marieke, live_server.doc_url("moeder", "perspectief"))
    path = "domein.inkomen/bijdrage"
    marieke.locator(f'[data-path="{path}"] input[value=netwerk]').check()
    wait_saved(marieke)
    reload(marieke)
    assert marieke.locator(f'[data-path="{path}"] input[value=netwerk]').is_checked()
    assert not marieke.locator(f'[data-path="{path}"] input[value=zelf]').is_checked()


def test_a_person_and_a_typed_name_are_still_there_after_a_reload(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    wendy = open_as("aanspreekpunt")
    open_doc(wendy, live_server.doc_url("aanspreekpunt", "plan"))
    add_goal(wendy, "Weer naar school")
    add_action = wendy.get_by_role("button", name="Actie toevoegen")
    for _ in range(2):
        add_action.click()
        wendy.keyboard.type("Bellen")
    first, second = (wendy.locator(".item .item").nth(n).get_attribute("data-id") for n in range(2))
    goal = wendy.locator(".item").first.get_attribute("data-id")
    sanne_id = str(_participant_id(live_server, "jongere"))
    control(wendy, f"doelen/{goal}/acties/{first}/wie", "select").select_option(sanne_id)
    control(wendy, f"doelen/{goal}/acties/{second}/wie", "select").select_option("anders")
    name = control(wendy, f"doelen/{goal}/acties/{second}/wie", "input[type=text]")
    name.click()
    wendy.keyboard.type("Oom Kees")
    wait_saved(wendy)
    reload(wendy)
    assert control(wendy, f"doelen/{goal}/acties/{first}/wie", "select").input_value() == sanne_id
    assert control(wendy, f"doelen/{goal}/acties/{second}/wie", "select").input_value() == "anders"
    name = control(wendy, f"doelen/{goal}/acties/{second}/wie", "input[type=text]")
    assert name.input_value() == "Oom Kees"


def test_a_link_to_a_hypothesis_is_still_there_after_a_reload(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    wendy = open_as("aanspreekpunt")
    open_doc(wendy, live_server.doc_url("aanspreekpunt", "analyse"))
    wendy.get_by_role("button", name="Samenhang toevoegen").click()
    wendy.keyboard.type("Door de ruzies slaapt Sanne slecht")
    wait_saved(wendy)
    open_doc(wendy, live_server.doc_url("aanspreekpunt", "plan"))
    add_goal(wendy, "Beter slapen")
    link = wendy.get_by_label("Samenhang 1: Door de ruzies slaapt Sanne slecht")
    link.check()
    wait_saved(wendy)
    reload(wendy)
    wendy.get_by_label("Samenhang 1: Door de ruzies slaapt Sanne slecht").wait_for()
    assert wendy.get_by_label("Samenhang 1: Door de ruzies slaapt Sanne slecht").is_checked()


def test_text_and_a_one_line_field_are_still_there_after_a_reload(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    wendy = open_as("aanspreekpunt")
    open_doc(wendy, live_server.doc_url("aanspreekpunt", "analyse"))
    wendy.get_by_label("Wat gaat goed?").click()
    wendy.keyboard.type("Sanne sport graag.\nZe heeft een goede vriendin.")
    wendy.get_by_role("button", name="Zorg toevoegen").click()
    wendy.keyboard.type("Slaapt slecht")
    zorg = wendy.locator(".item").first.get_attribute("data-id")
    control(wendy, f"zorgen/{zorg}/bron").click()
    wendy.keyboard.type("moeder")
    wait_saved(wendy)
    reload(wendy)
    assert wendy.get_by_label("Wat gaat goed?").input_value() == (
        "Sanne sport graag.\nZe heeft een goede vriendin."
    )
    assert control(wendy, f"zorgen/{zorg}/tekst").input_value() == "Slaapt slecht"
    assert control(wendy, f"zorgen/{zorg}/bron").input_value() == "moeder"


def _participant_id(live_server, person: str) -> int:  # type: ignore[no-untyped-def]
    engine = make_engine(live_server.database_url)
    try:
        with Session(engine) as db:
            found = membership.find_active_participant(
                db, user_id=live_server.people[person].id, case_id=live_server.case_id
            )
            assert found is not None and found.id is not None
            return found.id
    finally:
        engine.dispose()
