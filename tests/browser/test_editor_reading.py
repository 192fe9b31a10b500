"""Reading the editor: growing textareas, a clean reading view, labelled Big Five groups, the
youth addressed as "je", and jargon with a plain word first."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from pycrdt import Array, Doc, Map, Text
from sqlmodel import Session

from app.crdt.schema import section_schema
from app.db import make_engine
from tests.browser.editor_helpers import SHOTS, open_doc, wait_saved
from tests.docs_helpers import edit

pytestmark = pytest.mark.browser

LONG = "\n".join(f"Regel {n}: Sanne vertelt wat er deze week gebeurde." for n in range(1, 13))


def _write(live_server, doc_id: str, change: Callable[[Doc], None]) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(live_server.database_url)
    try:
        with Session(engine) as db:
            edit(db, doc_id, change, live_server.people["jongere"].id)
    finally:
        engine.dispose()


def hidden_overflow(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Labels of textareas whose text does not fit: part of it is hidden."""
    found: list[str] = page.evaluate(
        "() => [...document.querySelectorAll('#editor-root textarea')]"
        ".filter(t => t.scrollHeight > t.clientHeight + 2).map(t => t.id)"
    )
    return found


# A browser without `field-sizing: content` (Firefox today): the editor sizes textareas itself.
WITHOUT_FIELD_SIZING = """
const supports = CSS.supports.bind(CSS)
CSS.supports = (...args) => !String(args[0]).includes('field-sizing') && supports(...args)
document.addEventListener('DOMContentLoaded', () => {
  const sheet = new CSSStyleSheet()
  sheet.replaceSync('textarea { field-sizing: fixed !important; }')
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet]
})
"""


@pytest.mark.parametrize("sizing", ["css", "script"])
def test_textareas_grow_with_their_text(live_server, open_as, sizing) -> None:  # type: ignore[no-untyped-def]
    def concern(doc: Doc) -> None:
        doc.get("zorgen", type=Array).append(
            Map({"id": "z1", "tekst": Text(LONG), "bron": Text("school")})
        )
        doc.get("krachten", type=Text).insert(0, LONG)

    _write(live_server, live_server.docs["jongere"]["analyse"], concern)
    sanne = open_as("jongere", width=390, height=844)
    if sizing == "script":
        sanne.add_init_script(script=WITHOUT_FIELD_SIZING)
    open_doc(sanne, live_server.doc_url("jongere", "analyse"))
    if sizing == "script":
        assert sanne.evaluate(
            "getComputedStyle(document.querySelector('textarea')).fieldSizing"
        ) == ("fixed")
    item = sanne.locator('[data-path="zorgen/z1/tekst"] textarea')
    sanne.wait_for_function("el => el.value.length > 100", arg=item.element_handle())
    assert hidden_overflow(sanne) == []
    for field in (item, sanne.get_by_label("Wat gaat goed?")):
        box = field.bounding_box()
        assert box is not None and box["height"] > 300, box
    # and while typing, a field keeps growing
    area = sanne.get_by_label("Waar denken we verschillend over?")
    before = area.bounding_box()
    area.click()
    for n in range(8):
        sanne.keyboard.type(f"Regel {n}")
        sanne.keyboard.press("Enter")
    after = area.bounding_box()
    assert before is not None and after is not None and after["height"] > before["height"] + 80
    assert hidden_overflow(sanne) == []
    # turning the phone changes where lines break: every field still fits its text
    sanne.set_viewport_size({"width": 844, "height": 390})
    sanne.wait_for_timeout(200)
    assert hidden_overflow(sanne) == []
    wait_saved(sanne)


def test_a_reader_sees_text_not_a_greyed_out_form(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    story = live_server.docs["jongere"]["verhaal/mijn"]
    _write(
        live_server,
        story,
        lambda doc: doc.get("mijn_verhaal", type=Text).insert(0, "Ik woon bij mama.\nIk voetbal."),
    )
    marieke = open_as("moeder", width=390, height=844)
    open_doc(marieke, live_server.doc_url("moeder", "verhaal/jongere"))
    root = marieke.locator("#editor-root")
    root.get_by_text("Ik woon bij mama.").wait_for()
    assert root.locator("textarea, input, select, [disabled]").count() == 0
    assert "Kies…" not in root.inner_text()
    assert root.get_by_role("heading", name="Mijn verhaal").is_visible()
    assert root.get_by_text("Nog niet ingevuld.").count() == 2  # the two empty blocks
    marieke.screenshot(path=f"{SHOTS}/editor-reading-view-phone.png", full_page=True)
    # what Sanne writes appears as she writes it
    sanne = open_as("jongere")
    open_doc(sanne, live_server.doc_url("jongere", "verhaal/mijn"))
    sanne.get_by_label("Wat wil ik bereiken?").fill("Rust in mijn hoofd")
    root.get_by_text("Rust in mijn hoofd").wait_for()


def test_a_field_the_youth_may_not_change_is_text_for_her(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    doc_id = live_server.docs["jongere"]["perspectief"]

    def scores(doc: Doc) -> None:
        doc.get("domein.wonen", type=Map)["zelfredzaamheid"] = 4

    _write(live_server, doc_id, scores)
    sanne = open_as("jongere")
    open_doc(sanne, live_server.doc_url("jongere", "perspectief"))
    wonen = sanne.get_by_role("group", name="Wonen")
    assert wonen.locator("input:disabled, select:disabled, input[readonly]").count() == 0
    sanne.wait_for_function(
        "() => document.querySelector('[data-path=\"domein.wonen/zelfredzaamheid\"]')"
        ".textContent.includes('4 (op een schaal van 1 tot en met 5)')"
    )
    field = wonen.locator('[data-path="domein.wonen/zelfredzaamheid"]')
    assert "Hoe goed kun je jezelf redden? (zelfredzaamheid, 1 tot 5)" in field.inner_text()


def test_each_big_five_domain_is_a_labelled_group(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    wendy = open_as("aanspreekpunt")
    open_doc(wendy, live_server.doc_url("aanspreekpunt", "perspectief"))
    for domain in ("Steun (mensen om je heen)", "Wonen", "School en werk", "Inkomen (geld)"):
        group = wendy.get_by_role("group", name=domain, exact=True)
        group.get_by_label("Hoe gaat het nu?").fill(f"Over {domain}")
    wait_saved(wendy)
    snapshot = wendy.locator("#editor-root").aria_snapshot()
    assert '- group "Wonen":' in snapshot, snapshot[:2000]


def test_the_youth_reads_about_herself_as_je(live_server, open_as) -> None:  # type: ignore[no-untyped-def]
    sanne = open_as("jongere")
    open_doc(sanne, live_server.doc_url("jongere", "perspectief"))
    wonen = sanne.get_by_role("group", name="Wonen")
    assert wonen.get_by_label("Wat wil je bereiken?").is_visible()
    assert wonen.get_by_label("Jouw cijfer").is_visible()
    assert wonen.get_by_label("Jijzelf").is_visible()
    text = sanne.locator("#editor-root").inner_text()
    assert "de jongere" not in text.lower(), text
    sanne.screenshot(path=f"{SHOTS}/editor-perspectief-youth-desktop.png", full_page=True)
    # everyone else, and the print, keep the neutral words
    wendy = open_as("aanspreekpunt")
    open_doc(wendy, live_server.doc_url("aanspreekpunt", "perspectief"))
    wonen = wendy.get_by_role("group", name="Wonen")
    assert wonen.get_by_label("Wat wil de jongere?").is_visible()
    assert wonen.get_by_label("Cijfer van de jongere").is_visible()
    fields = {f["key"]: f for f in section_schema("perspectief")["blocks"][0]["fields"]}
    assert fields["schaal_jongere"]["label"] == "Cijfer van de jongere"
    assert fields["schaal_jongere"]["label_jongere"] == "Jouw cijfer"


JARGON = re.compile(r"hulpvraag|zelfredzaamheid|werkhypothese|big five", re.IGNORECASE)


@pytest.mark.parametrize("person", ["jongere", "moeder", "aanspreekpunt"])
def test_jargon_in_the_editor_comes_after_a_plain_word(live_server, open_as, person) -> None:  # type: ignore[no-untyped-def]
    page = open_as(person)
    sections = ["analyse", "plan", "perspectief", "verhaal/mijn"]
    found = []
    for section in sections:
        open_doc(page, live_server.doc_url(person, section))
        if section == "analyse":
            page.get_by_role("button", name="Samenhang toevoegen").click()
        text = page.locator("main").inner_text()
        for match in JARGON.finditer(text):
            before = text[: match.start()]
            # inside brackets, after the plain words: "(werkhypothese)"
            inside = before.rfind("(") > before.rfind(")")
            found.append((section, match.group(0), inside))
    assert found, "the editor shows none of the official terms at all"
    assert [f for f in found if not f[2]] == [], found


HOSTILE = '<img src=x onerror="document.title=1"> "><svg onload=alert(1)> {{7*7}}'


def test_hostile_text_stays_text_in_the_reading_view_and_under_verwijderd(
    live_server, open_as
) -> None:  # type: ignore[no-untyped-def]
    _write(
        live_server,
        live_server.docs["jongere"]["verhaal/mijn"],
        lambda doc: doc.get("mijn_verhaal", type=Text).insert(0, HOSTILE),
    )
    marieke = open_as("moeder")
    open_doc(marieke, live_server.doc_url("moeder", "verhaal/jongere"))
    marieke.locator("#editor-root").get_by_text(HOSTILE).wait_for()

    wendy = open_as("aanspreekpunt")
    open_doc(wendy, live_server.doc_url("aanspreekpunt", "analyse"))
    wendy.get_by_role("button", name="Zorg toevoegen").click()
    wendy.keyboard.type(HOSTILE)
    wendy.get_by_role("button", name="Zorg 1 verwijderen").click()
    deleted = wendy.locator('.list[data-path="zorgen"] > .deleted-items')
    deleted.locator("summary").click()
    deleted.get_by_text(HOSTILE, exact=True).wait_for()
    for page in (marieke, wendy):
        assert page.locator("#editor-root img, #editor-root svg").count() == 0
        assert page.title() != "1"
