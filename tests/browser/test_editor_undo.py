"""Undo and redo per person: your own changes only, a word at a time, also after others typed."""

from __future__ import annotations

import pytest

from app.crdt.schema import read_document
from tests.browser.editor_helpers import SHOTS, open_doc, wait_saved

pytestmark = pytest.mark.browser

KRACHTEN = "Wat gaat goed?"


def krachten(page) -> str:  # type: ignore[no-untyped-def]
    return str(page.get_by_label(KRACHTEN, exact=True).input_value())


def test_ctrl_z_takes_back_a_word_and_ctrl_shift_z_brings_it_back(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    wendy = open_as("aanspreekpunt")
    open_doc(wendy, live_server.doc_url("aanspreekpunt", "analyse"))
    wendy.get_by_label(KRACHTEN).click()
    wendy.keyboard.type("Sanne sport graag")
    wendy.keyboard.press("Control+z")
    assert krachten(wendy) == "Sanne sport "
    wendy.keyboard.press("Control+z")
    assert krachten(wendy) == "Sanne "
    wendy.keyboard.press("Control+Shift+z")
    assert krachten(wendy) == "Sanne sport "
    wendy.keyboard.press("Control+y")
    assert krachten(wendy) == "Sanne sport graag"
    wendy.keyboard.press("Control+z")
    wendy.keyboard.type("voetbalt")  # typing on after an undo
    assert krachten(wendy) == "Sanne sport voetbalt"
    wait_saved(wendy)
    doc = live_server.stored_doc(live_server.docs["aanspreekpunt"]["analyse"])
    assert read_document("analyse", doc)["krachten"] == "Sanne sport voetbalt"


def test_two_people_type_and_one_undoes_only_her_own_word(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    url = live_server.doc_url("aanspreekpunt", "analyse")
    wendy = open_as("aanspreekpunt")
    sanne = open_as("jongere", width=390, height=844)
    open_doc(wendy, url)
    open_doc(sanne, live_server.doc_url("jongere", "analyse"))
    sanne.get_by_label(KRACHTEN).click()
    sanne.keyboard.type("Ik kan goed tekenen.")
    wait_saved(sanne)
    wendy.wait_for_function(
        "() => document.querySelector('.block textarea').value === 'Ik kan goed tekenen.'"
    )
    wendy.get_by_label(KRACHTEN).click()
    wendy.keyboard.press("Control+End")
    wendy.keyboard.type(" Ze helpt thuis.")
    wait_saved(wendy)
    together = "Ik kan goed tekenen. Ze helpt thuis."
    sanne.wait_for_function(
        "t => document.querySelector('.block textarea').value === t", arg=together
    )

    # after Wendy's edit, Sanne's undo still works, and takes only her own last word
    sanne.keyboard.press("Control+z")
    assert krachten(sanne) == "Ik kan goed  Ze helpt thuis."
    wait_saved(sanne)
    wendy.wait_for_function(
        "t => document.querySelector('.block textarea').value === t",
        arg="Ik kan goed  Ze helpt thuis.",
    )
    sanne.screenshot(path=f"{SHOTS}/editor-undo-phone.png")
    # and the visible button brings it back
    sanne.get_by_role("button", name="Opnieuw").click()
    assert krachten(sanne) == together
    wait_saved(sanne)
    doc = live_server.stored_doc(live_server.docs["aanspreekpunt"]["analyse"])
    assert read_document("analyse", doc)["krachten"] == together


def test_the_undo_buttons_undo_choices_deletes_and_at_last_take_a_new_item_away_softly(
    live_server, open_as
) -> None:  # type: ignore[no-untyped-def]
    wendy = open_as("aanspreekpunt")
    open_doc(wendy, live_server.doc_url("aanspreekpunt", "plan"))
    undo = wendy.get_by_role("button", name="Ongedaan maken")
    redo = wendy.get_by_role("button", name="Opnieuw")
    live_goals = wendy.locator(".list[data-path=doelen] > .items > .item")
    assert undo.is_disabled() and redo.is_disabled()
    wendy.get_by_role("button", name="Doel toevoegen").click()
    wendy.keyboard.type("Naar school")
    domain = wendy.locator(".item").first.get_by_label("Bij welk deel van je leven hoort het?")
    domain.select_option("school_werk")
    wendy.get_by_role("button", name="Doel 1 verwijderen").click()
    assert live_goals.count() == 0

    undo.click()  # the delete
    live_goals.first.wait_for()
    undo.click()  # the choice
    assert domain.input_value() == ""
    undo.click()  # the words ("Naar school" is two words)
    undo.click()
    assert wendy.locator(".item textarea").first.input_value() == ""
    redo.click()
    redo.click()
    redo.click()
    assert wendy.locator(".item textarea").first.input_value() == "Naar school"
    assert domain.input_value() == "school_werk"
    for _ in range(3):
        undo.click()
    assert wendy.locator(".item textarea").first.input_value() == ""
    # one step further back is adding the goal: it goes to "Verwijderd", whole
    undo.click()
    wendy.get_by_text("het nieuwe doel is weggehaald").wait_for(state="attached")
    assert live_goals.count() == 0
    assert redo.is_disabled()  # its words come back with it from "Verwijderd", not by redo
    wait_saved(wendy)
    doc = live_server.stored_doc(live_server.docs["aanspreekpunt"]["plan"])
    assert read_document("plan", doc)["doelen"] == []


def test_a_reader_gets_no_undo_buttons(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    marieke = open_as("moeder")
    open_doc(marieke, live_server.doc_url("moeder", "verhaal/jongere"))
    assert marieke.get_by_role("button", name="Ongedaan maken").count() == 0


def test_an_undo_is_read_out_with_the_field_it_changed(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    wendy = open_as("aanspreekpunt")
    open_doc(wendy, live_server.doc_url("aanspreekpunt", "analyse"))
    wendy.get_by_label(KRACHTEN).click()
    wendy.keyboard.type("Sanne sport")
    wendy.get_by_label("Waar denken we verschillend over?").click()
    wendy.keyboard.press("Control+z")  # the last step was in the other field: it goes there
    assert krachten(wendy) == "Sanne "
    assert wendy.evaluate("document.activeElement.id") == wendy.get_by_label(
        KRACHTEN
    ).get_attribute("id")
    wendy.wait_for_function(
        "() => document.querySelector('#editor-announce').textContent"
        " === 'Ongedaan gemaakt: Wat gaat goed?'"
    )
