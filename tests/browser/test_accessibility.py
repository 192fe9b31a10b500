"""Every main page passes axe-core's WCAG 2.2 A/AA rules, at phone and desktop width.

axe-core comes from package.json (node_modules), is injected into the page and run there,
with the page's Content-Security-Policy on.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser.editor_helpers import notice_state, server_notice, wait_saved, with_changes
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _violations(page) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    # Evaluated through DevTools, which the page's CSP does not govern; a <script> tag added to
    # the page would be (rightly) refused, since the CSP allows no inline script.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
    ]


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)], ids=["phone", "desktop"])
def test_main_pages_have_no_wcag_violations(live_server, open_as, browser, width, height) -> None:  # type: ignore[no-untyped-def]
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make node-deps`")
    url, case_id = live_server.url, live_server.case_id
    pages = {
        "aanspreekpunt": [
            "/",
            f"/cases/{case_id}",
            f"/cases/{case_id}/deelnemers",
            f"/cases/{case_id}/delen",
            f"/cases/{case_id}/versies",
            f"/cases/{case_id}/logboek",
            "/cases/new",
            f"/cases/{case_id}/print",
            "/account",
            "/account/tweestapsverificatie",
            "/account/sessies",
            "/account/wachtwoord",
            "/beheer/accounts",
        ],
        "jongere": [
            "/",
            f"/cases/{case_id}",
            f"/cases/{case_id}/toestemming",
            live_server.doc_url("jongere", "verhaal/mijn").removeprefix(url),
            live_server.doc_url("jongere", "plan").removeprefix(url),
        ],
        "moeder": [
            f"/cases/{case_id}/logboek",
            f"/cases/{case_id}/toestemming",
            "/account/tweestapsverificatie",  # setting it up: QR code and secret
        ],
    }
    problems: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="nl-NL")
    try:
        login = context.new_page()
        login.goto(f"{url}/login")
        if found := _violations(login):
            problems["/login"] = found
    finally:
        context.close()
    for person, paths in pages.items():
        page = open_as(person, width=width, height=height)
        for path in paths:
            page.goto(f"{url}{path}")
            page.wait_for_load_state("networkidle")
            if found := _violations(page):
                problems[f"{person} {path}"] = found
    context = browser.new_context(viewport={"width": width, "height": height}, locale="nl-NL")
    try:  # the second step of signing in: the code from the app
        code_step = context.new_page()
        code_step.goto(f"{url}/login")
        code_step.fill("input[name=email]", live_server.people["aanspreekpunt"].email)
        code_step.fill("input[name=password]", PASSWORD)
        code_step.locator("form:has(input[name=password]) [type=submit]").click()
        code_step.locator("input[name=code]").wait_for()
        if found := _violations(code_step):
            problems["/login (code)"] = found
    finally:
        context.close()
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)], ids=["phone", "desktop"])
def test_editor_states_have_no_wcag_violations(live_server, open_as, width, height) -> None:  # type: ignore[no-untyped-def]
    """The editor as a reader, as the youth, with a deleted item (also while someone was in it),
    with changes since the last visit, a server notice and the names of who is here opened."""
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make node-deps`")
    problems: dict[str, list[dict]] = {}  # type: ignore[type-arg]

    def check(page, name: str) -> None:  # type: ignore[no-untyped-def]
        if found := _violations(page):
            problems[name] = found

    wendy = open_as("aanspreekpunt", width=width, height=height)
    wendy.goto(live_server.doc_url("aanspreekpunt", "plan"))
    wait_saved(wendy)
    for words in ("Sanne zoekt een bijbaantje", "Elke dag naar school"):
        wendy.get_by_role("button", name="Doel toevoegen").click()
        wendy.keyboard.type(words)
    wait_saved(wendy)
    goal = wendy.locator(".item").first.get_attribute("data-id")

    sanne = open_as("jongere", width=width, height=height)
    changes = [{"path": f"doelen/{goal}/doel", "label": "Doel 1", "by": ["Wendy WIJ"]}]
    with_changes(sanne, live_server.doc_url("jongere", "plan"), changes)
    sanne.locator(".new-marker").wait_for()
    sanne.locator(".item").first.get_by_label("Wat wil je bereiken?").click()
    wendy.get_by_role("button", name="Doel 1 verwijderen").click()
    sanne.get_by_role("alert").filter(has_text="heeft Doel 1 verwijderd").wait_for()
    server_notice(sanne, notice_state("Wendy WIJ heeft versie 1 teruggezet.", "/cases/x/versies"))
    sanne.locator(".server-notice").wait_for()
    if width < 500:
        sanne.locator(".presence-toggle").click()
    check(sanne, "jongere plan: new, deleted while typing, notice")
    wendy.locator(".list[data-path=doelen] > .deleted-items > summary").click()
    check(wendy, "aanspreekpunt plan: Verwijderd opened")
    sanne.goto(live_server.doc_url("jongere", "perspectief"))
    wait_saved(sanne)
    check(sanne, "jongere perspectief")
    marieke = open_as("moeder", width=width, height=height)
    marieke.goto(live_server.doc_url("moeder", "verhaal/jongere"))
    wait_saved(marieke)
    check(marieke, "moeder reads the story of the youth")
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)
