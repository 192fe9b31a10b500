"""Who has the document open (readers too), where they type, and notices from the server."""

from __future__ import annotations

import pytest

from tests.browser.editor_helpers import SHOTS, notice_state, open_doc, server_notice

pytestmark = pytest.mark.browser


def people(page) -> list[str]:  # type: ignore[no-untyped-def]
    texts = page.locator("#presence-list > li").all_inner_texts()
    return [" ".join(t.split()) for t in texts]


def test_everyone_who_has_the_document_open_is_shown_readers_too(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    sanne = open_as("jongere")
    open_doc(sanne, live_server.doc_url("jongere", "verhaal/mijn"))
    marieke = open_as("moeder")  # she may only read Sanne's story
    open_doc(marieke, live_server.doc_url("moeder", "verhaal/jongere"))
    wendy = open_as("aanspreekpunt")  # she has it open, and types nowhere
    open_doc(wendy, live_server.doc_url("aanspreekpunt", "verhaal/jongere"))
    sanne.wait_for_function(
        "() => document.querySelector('#presence-list').textContent.includes('Marieke')"
        " && document.querySelector('#presence-list').textContent.includes('Wendy WIJ')"
    )
    assert sorted(people(sanne)) == [
        "Jij",
        "Marieke (Ouder of verzorger)",
        "Wendy WIJ (Vast aanspreekpunt)",
    ]
    marieke.wait_for_function(
        "() => document.querySelector('#presence-list').textContent.includes('Sanne')"
    )
    # nobody types, so nobody is said to type
    assert sanne.locator("#presence-where").inner_text() == ""
    assert sanne.locator(".presence-marker").count() == 0


def test_with_a_button_focused_nobody_is_said_to_type_nowhere(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    url = live_server.doc_url("aanspreekpunt", "analyse")
    wendy = open_as("aanspreekpunt")
    marieke = open_as("moeder")
    open_doc(wendy, url)
    open_doc(marieke, live_server.doc_url("moeder", "analyse"))
    wendy.get_by_label("Wat gaat goed?").click()
    marieke.locator("#presence-where").get_by_text("Wendy WIJ typt bij: Wat gaat goed?").wait_for()
    wendy.get_by_role("button", name="Zorg toevoegen").focus()
    marieke.wait_for_function(
        "() => !document.querySelector('#presence-where').textContent.includes('Wat gaat goed')"
    )
    marieke.wait_for_timeout(300)
    where = marieke.locator("#presence-where").inner_text()
    assert "typt bij" not in where, where
    assert marieke.locator(".presence-marker").count() == 0
    # a field inside a list item is named with its item
    wendy.get_by_role("button", name="Zorg toevoegen").click()
    wendy.locator(".item").first.get_by_label("Wie zegt dit, of waar komt het vandaan?").click()
    marieke.locator("#presence-where").get_by_text(
        "Wendy WIJ typt bij: Zorg 1 · Wie zegt dit, of waar komt het vandaan?"
    ).wait_for()


def test_on_a_phone_the_presence_bar_takes_one_line(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    url = live_server.doc_url("aanspreekpunt", "plan")
    wendy = open_as("aanspreekpunt")
    marieke = open_as("moeder")
    open_doc(wendy, url)
    open_doc(marieke, live_server.doc_url("moeder", "plan"))
    sanne = open_as("jongere", width=390, height=844)
    open_doc(sanne, live_server.doc_url("jongere", "plan"))
    wendy.get_by_role("button", name="Doel toevoegen").click()  # Wendy types in a goal
    sanne.locator(".presence-marker").get_by_text("Wendy WIJ typt hier").wait_for()
    toggle = sanne.get_by_role("button", name="Nu hier: 3")
    toggle.wait_for()
    bar = sanne.locator(".editor-bar").bounding_box()
    sanne.screenshot(path=f"{SHOTS}/editor-presence-bar-phone.png")
    assert bar is not None and bar["height"] <= 64, bar  # one row of 44 px targets
    sanne.screenshot(path=f"{SHOTS}/editor-presence-bar-phone.png")
    # the names are one tap away
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert sanne.locator("#presence-list").get_by_text("Marieke").is_visible()
    sanne.screenshot(path=f"{SHOTS}/editor-presence-open-phone.png")
    toggle.click()
    assert sanne.locator("#presence-list").is_hidden()
    # on a wide screen the names are there at once, without a button
    assert wendy.locator("#presence-list").get_by_text("Marieke").is_visible()
    assert wendy.locator(".presence-toggle").is_hidden()


def test_a_server_notice_is_a_message_not_a_person(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    sanne = open_as("jongere", width=390, height=844)
    open_doc(sanne, live_server.doc_url("jongere", "plan"))
    text = "Wendy WIJ heeft versie 1 teruggezet. De tekst van daarvoor staat in de versies."
    server_notice(sanne, notice_state(text, "/cases/x/versies/3"))
    notices = sanne.locator("#editor-notices")
    notices.get_by_text(text).wait_for()
    assert notices.get_attribute("role") == "status"
    link = notices.get_by_role("link", name="Bekijk de tekst van daarvoor")
    assert link.get_attribute("href") == "/cases/x/versies/3"
    assert "eenplan" not in " ".join(people(sanne))
    sanne.get_by_role("button", name="Nu hier: 1").wait_for()
    sanne.screenshot(path=f"{SHOTS}/editor-server-notice-phone.png")
    # the server takes its notice away after a while; it stays until you close it
    server_notice(sanne, None, clock=2)
    sanne.wait_for_timeout(200)
    assert notices.get_by_text(text).is_visible()
    notices.get_by_role("button", name="Sluiten").click()
    assert notices.get_by_text(text).count() == 0


@pytest.mark.parametrize(
    "link",
    ["javascript:alert(1)", "//evil.example/x", "https://evil.example/", "/\\evil.example", None],
)
def test_a_server_notice_shows_its_text_as_text_and_only_a_local_link(
    live_server, open_as, link
) -> None:  # type: ignore[no-untyped-def]
    page = open_as("aanspreekpunt")
    open_doc(page, live_server.doc_url("aanspreekpunt", "plan"))
    text = '<img src=x onerror="document.title=1"> <b>vet</b>'
    server_notice(page, notice_state(text, link))
    page.locator("#editor-notices").get_by_text(text).wait_for()
    assert page.locator("#editor-notices img, #editor-notices b").count() == 0
    assert page.locator("#editor-notices a").count() == 0
    assert page.title() != "1"
