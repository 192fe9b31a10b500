"""The document editor in a real browser against a real server."""

from __future__ import annotations

import pytest

from app.crdt.schema import read_document

pytestmark = pytest.mark.browser

SHOTS = "/tmp/shots"


def wait_saved(page) -> None:  # type: ignore[no-untyped-def]
    """Until the server confirmed every change of this page."""
    page.wait_for_function(
        "() => window.eenplanEditor && !window.eenplanEditor.connection.unsaved()"
        " && document.querySelector('#editor-status').dataset.state === 'saved'"
    )


def test_smoke_the_editor_loads_and_saves(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    page = open_as("jongere")
    page.goto(live_server.doc_url("jongere", "verhaal/mijn"))
    wait_saved(page)
    page.get_by_label("Waar wil ik hulp bij? (mijn hulpvraag)").fill("Ik wil weer slapen.")
    wait_saved(page)
    doc = live_server.stored_doc(live_server.docs["jongere"]["verhaal/mijn"])
    assert read_document("verhaal", doc)["hulpvraag"] == "Ik wil weer slapen."


@pytest.mark.parametrize("width,height,name", [(390, 844, "phone"), (1280, 900, "desktop")])
def test_screenshots_of_every_section(live_server, open_as, width, height, name) -> None:  # type: ignore[no-untyped-def]
    page = open_as("aanspreekpunt", width=width, height=height)
    for section in ("analyse", "veiligheid", "plan", "perspectief", "verhaal/mijn"):
        page.goto(live_server.doc_url("aanspreekpunt", section))
        wait_saved(page)
        for button in page.locator("button.add-item").all()[:2]:
            button.click()
        page.keyboard.type("Een voorbeeldtekst om te zien hoe het eruitziet.")
        wait_saved(page)
        slug = section.replace("/", "-")
        total = page.evaluate("document.documentElement.scrollHeight")
        step = height * 3 // 2
        for part, top in enumerate(range(0, total, step)):
            clip = {"x": 0, "y": top, "width": width, "height": min(step, total - top)}
            path = f"{SHOTS}/editor-{slug}-{name}-{part}.png"
            page.screenshot(path=path, full_page=True, clip=clip)


def field_value(page, label: str) -> str:  # type: ignore[no-untyped-def]
    return str(page.get_by_label(label, exact=True).input_value())


def test_two_people_typing_in_the_same_field_at_once_both_keep_their_words(
    live_server, open_as
) -> None:  # type: ignore[no-untyped-def]
    url = live_server.doc_url("aanspreekpunt", "analyse")
    wendy = open_as("aanspreekpunt")
    sanne = open_as("jongere", width=390, height=844)
    for page in (wendy, sanne):
        page.goto(url)
        wait_saved(page)
        page.get_by_label("Wat gaat goed?").click()
    # presence: each sees the other, and where they type
    wendy.wait_for_selector("#presence-list >> text=Sanne")
    sanne.wait_for_selector(".presence-marker >> text=Wendy WIJ typt hier")
    sanne.screenshot(path=f"{SHOTS}/editor-presence-phone.png")

    first, second = "APPELTAARTJE ", "bananenbrood "
    for a, b in zip(first, second, strict=True):  # interleaved keystrokes, no waiting
        wendy.keyboard.type(a)
        sanne.keyboard.type(b)
    for page in (wendy, sanne):
        wait_saved(page)
    for page in (wendy, sanne):
        page.wait_for_function(
            "n => document.querySelector('.block textarea').value.length === n",
            arg=len(first + second),
        )
    text = field_value(wendy, "Wat gaat goed?")
    assert text == field_value(sanne, "Wat gaat goed?")
    assert "APPELTAARTJE" in text and "bananenbrood" in text, text
    doc_id = live_server.docs["aanspreekpunt"]["analyse"]
    stored = read_document("analyse", live_server.stored_doc(doc_id))
    assert stored["krachten"] == text


def test_a_viewer_cannot_change_anything(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    story = live_server.docs["jongere"]["verhaal/mijn"]
    sanne = open_as("jongere")
    sanne.goto(live_server.doc_url("jongere", "verhaal/mijn"))
    wait_saved(sanne)
    sanne.get_by_label("Mijn verhaal").fill("Dit is van mij.")
    wait_saved(sanne)
    before = live_server.stored_doc(story).get_update()

    marieke = open_as("moeder")
    marieke.goto(live_server.doc_url("moeder", "verhaal/jongere"))
    marieke.wait_for_selector("#editor-status[data-state=saved]")
    assert marieke.get_by_text("Je kunt dit lezen, maar niet veranderen.").is_visible()
    # a reading view: the text, no fields to type in
    shown = marieke.locator('[data-path="mijn_verhaal"]')
    shown.get_by_text("Dit is van mij.").wait_for()
    assert marieke.locator("#editor-root textarea, #editor-root input").count() == 0
    shown.click()
    marieke.keyboard.type("Veranderd door moeder")
    assert shown.locator(".read-value").inner_text() == "Dit is van mij."
    assert marieke.locator("button.add-item, .item-tools").count() == 0
    marieke.screenshot(path=f"{SHOTS}/editor-view-only-desktop.png")
    # even a change made behind the page's back is never sent
    marieke.evaluate("eenplanEditor.doc.getText('mijn_verhaal').insert(0, 'HACK ')")
    marieke.wait_for_timeout(800)

    assert live_server.stored_doc(story).get_update() == before
    assert field_value(sanne, "Mijn verhaal") == "Dit is van mij."


def test_edits_made_offline_are_kept_and_merge_after_reconnecting(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    doc_id = live_server.docs["aanspreekpunt"]["plan"]
    url = live_server.doc_url("aanspreekpunt", "plan")
    wendy = open_as("aanspreekpunt")
    marieke = open_as("moeder")
    for page in (wendy, marieke):
        page.goto(url)
        wait_saved(page)
    wendy.get_by_role("button", name="Doel toevoegen").click()
    wendy.keyboard.type("Naar school")
    wait_saved(wendy)
    marieke.wait_for_selector(".item textarea >> nth=0")

    wendy.context.set_offline(True)
    wendy.wait_for_selector("#editor-status[data-state=offline]")
    assert "je wijzigingen worden bewaard" in wendy.locator("#editor-status").inner_text()
    goal = wendy.locator(".item").first.get_by_label("Wat wil je bereiken?")
    goal.click()
    wendy.keyboard.press("End")
    wendy.keyboard.type(" elke dag")
    # meanwhile someone else, online, writes in the same goal
    marieke.locator(".item").first.get_by_label("Wat wil je bereiken?").click()
    marieke.keyboard.press("Home")
    marieke.keyboard.type("Sanne gaat ")
    wait_saved(marieke)
    stored = read_document("plan", live_server.stored_doc(doc_id))
    assert stored["doelen"][0]["doel"] == "Sanne gaat Naar school"

    # a reload while offline would fail to load the page; closing the tab is the same test of
    # the local copy: the next visit brings the offline edit along
    wendy.wait_for_timeout(400)
    context = wendy.context
    wendy.close()
    context.set_offline(False)
    again = context.new_page()
    again.goto(url)
    wait_saved(again)
    expected = "Sanne gaat Naar school elke dag"
    for page in (again, marieke):
        page.wait_for_function(
            "t => document.querySelector('.item textarea').value === t", arg=expected
        )
    assert read_document("plan", live_server.stored_doc(doc_id))["doelen"][0]["doel"] == expected
    assert again.evaluate("Object.keys(localStorage).filter(k => k.startsWith('eenplan:'))") == []


def test_an_open_page_sends_offline_edits_when_the_connection_returns(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    doc_id = live_server.docs["aanspreekpunt"]["verhaal/mijn"]
    wendy = open_as("aanspreekpunt")
    wendy.goto(live_server.doc_url("aanspreekpunt", "verhaal/mijn"))
    wait_saved(wendy)
    wendy.context.set_offline(True)
    wendy.wait_for_selector("#editor-status[data-state=offline]")
    wendy.get_by_label("Wat wil ik bereiken?").fill("Rust in het gezin")
    wendy.wait_for_timeout(500)
    assert read_document("verhaal", live_server.stored_doc(doc_id))["bereiken"] == ""
    wendy.context.set_offline(False)
    wait_saved(wendy)
    stored = read_document("verhaal", live_server.stored_doc(doc_id))
    assert stored["bereiken"] == "Rust in het gezin"


def test_lists_add_move_remove_and_undo_with_the_keyboard(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    doc_id = live_server.docs["aanspreekpunt"]["veiligheid"]
    page = open_as("aanspreekpunt")
    page.goto(live_server.doc_url("aanspreekpunt", "veiligheid"))
    wait_saved(page)
    add = page.get_by_role("button", name="Afspraak toevoegen")
    for words in ("Eerste", "Tweede", "Derde"):
        add.focus()
        page.keyboard.press("Enter")
        page.keyboard.type(words)  # the new item's first field has the focus
    page.get_by_role("button", name="Afspraak 3 omhoog zetten").focus()
    page.keyboard.press("Enter")
    # the focus follows the moved item
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "Afspraak 2 omhoog zetten"
    page.get_by_role("button", name="Afspraak 1 verwijderen").click()
    page.get_by_label("Hoe goed lukt de afspraak nu?").first.fill("7")
    page.keyboard.press("Tab")
    wait_saved(page)
    items = read_document("veiligheid", live_server.stored_doc(doc_id))["afspraken"]
    assert [i["afspraak"] for i in items] == ["Derde", "Tweede"]
    assert items[0]["schaal"] == 7

    page.get_by_role("button", name="Terugzetten Afspraak 1").click()
    wait_saved(page)
    items = read_document("veiligheid", live_server.stored_doc(doc_id))["afspraken"]
    assert [i["afspraak"] for i in items] == ["Eerste", "Derde", "Tweede"]


def test_moving_a_goal_keeps_what_someone_types_in_it_at_that_moment(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    doc_id = live_server.docs["aanspreekpunt"]["plan"]
    url = live_server.doc_url("aanspreekpunt", "plan")
    wendy = open_as("aanspreekpunt")
    marieke = open_as("moeder")
    for page in (wendy, marieke):
        page.goto(url)
        wait_saved(page)
    add = wendy.get_by_role("button", name="Doel toevoegen")
    for words in ("Eerste", "Tweede"):
        add.click()
        wendy.keyboard.type(words)
    wait_saved(wendy)
    texts = "() => [...document.querySelectorAll('.item textarea')].slice(0, 2).map(t => t.value)"
    marieke.wait_for_function(f"w => ({texts})().join() === w", arg="Eerste,Tweede")

    # Marieke types in the second goal while, at the same moment for the document, Wendy moves
    # that goal up: Marieke's connection is down, so neither sees the other's change yet
    goal = marieke.locator(".item").nth(1).get_by_label("Wat wil je bereiken?")
    goal.click()
    marieke.keyboard.press("End")
    marieke.context.set_offline(True)
    marieke.wait_for_selector("#editor-status[data-state=offline]")
    marieke.keyboard.type(" en ook sporten")
    wendy.get_by_role("button", name="Doel 2 omhoog zetten").click()
    focused = wendy.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "Doel 1 omlaag zetten"  # the focus follows the moved goal
    wait_saved(wendy)
    stored = read_document("plan", live_server.stored_doc(doc_id))["doelen"]
    assert [g["doel"] for g in stored] == ["Tweede", "Eerste"]

    marieke.context.set_offline(False)
    wait_saved(marieke)
    # both pages show the same once synced; what they show must hold both changes
    marieke.wait_for_function(f"() => ({texts})()[0].startsWith('Tweede')")
    wendy.wait_for_function(f"w => ({texts})().join() === w", arg=",".join(marieke.evaluate(texts)))
    for page in (wendy, marieke):
        assert page.evaluate(texts) == ["Tweede en ook sporten", "Eerste"]
    # Marieke's field moved up with the goal and still has her focus: she types on
    marieke.keyboard.type("!")
    wait_saved(marieke)
    expected = "Tweede en ook sporten!,Eerste"
    for page in (wendy, marieke):
        page.wait_for_function(f"w => ({texts})().join() === w", arg=expected)
    stored = read_document("plan", live_server.stored_doc(doc_id))["doelen"]
    assert [g["doel"] for g in stored] == ["Tweede en ook sporten!", "Eerste"]
    assert wendy.locator(".item").first.locator("h3").inner_text() == "Doel 1"


def test_my_answer_to_herken_ik_mij_hierin_is_stored_under_my_name(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    doc_id = live_server.docs["moeder"]["analyse"]
    page = open_as("moeder")
    page.goto(live_server.doc_url("moeder", "analyse"))
    wait_saved(page)
    page.get_by_label("Herken je je in deze analyse?").select_option("deels")
    page.get_by_label("Wil je iets uitleggen?").fill("Niet alles klopt.")
    wait_saved(page)
    answers = read_document("analyse", live_server.stored_doc(doc_id))["herkenning"]
    assert list(answers.values()) == [{"antwoord": "deels", "toelichting": "Niet alles klopt."}]


def test_plan_allows_five_active_goals_and_links_hypotheses_of_the_analysis(
    live_server, open_as
) -> None:  # type: ignore[no-untyped-def]
    page = open_as("aanspreekpunt")
    page.goto(live_server.doc_url("aanspreekpunt", "analyse"))
    wait_saved(page)
    page.get_by_role("button", name="Samenhang toevoegen").click()
    page.keyboard.type("Door de ruzies slaapt Sanne slecht")
    wait_saved(page)

    page.goto(live_server.doc_url("aanspreekpunt", "plan"))
    wait_saved(page)
    add = page.get_by_role("button", name="Doel toevoegen")
    for n in range(6):
        add.click()
        page.keyboard.type(f"Doel nummer {n + 1}")
    page.get_by_text("Jullie werken al aan 5 doelen").wait_for()
    sixth = page.locator(".item").nth(5)
    status = sixth.get_by_label("Hoe staat het ervoor?")
    assert status.input_value() == "wacht"
    assert status.locator("option[value=actief]").is_disabled()
    link = sixth.get_by_label("Samenhang 1: Door de ruzies slaapt Sanne slecht")
    link.check()
    wait_saved(page)
    doc_id = live_server.docs["aanspreekpunt"]["plan"]
    goals = read_document("plan", live_server.stored_doc(doc_id))["doelen"]
    assert [g["status"] for g in goals] == ["actief"] * 5 + ["wacht"]
    analysis = read_document(
        "analyse", live_server.stored_doc(live_server.docs["aanspreekpunt"]["analyse"])
    )
    assert goals[5]["hypothesen"] == [analysis["hypothesen"][0]["id"]]
