"""Every main page passes axe-core's WCAG 2.2 A/AA rules, at phone and desktop width.

axe-core comes from package.json (node_modules), is injected into the page and run there,
with the page's Content-Security-Policy on.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pycrdt import Array, Doc, Map, Text
from sqlmodel import Session, select

from app.db import make_engine
from app.models import CheckpointReason, OutboxMessage
from app.services import checkpoints, password_reset, update_log, versions
from app.settings import Settings
from tests.browser.editor_helpers import notice_state, server_notice, wait_saved, with_changes
from tests.browser.test_worklist import seed_worklist
from tests.conftest import PASSWORD
from tests.docs_helpers import document_id, edit

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


def _history(live_server) -> str:  # type: ignore[no-untyped-def]
    """A goal, an adopted version, then more work and an automatic version of the plan (so
    the version, compare, automatic-version and case pages have something to show); returns
    the automatic version's path."""
    engine = make_engine(live_server.database_url)
    try:
        with Session(engine, expire_on_commit=False) as db:
            case_id = live_server.case_id
            plan = document_id(db, case_id, "plan")

            def goal(text: str, goal_id: str):  # type: ignore[no-untyped-def]
                def change(doc: Doc) -> None:
                    doc.get("doelen", type=Array).append(
                        Map({"id": goal_id, "doel": Text(text), "status": "actief"})
                    )

                return change

            edit(db, plan, goal("Naar school gaan", "g1"), live_server.people["jongere"].id)
            states = {
                d.id: update_log.state_at(
                    db,
                    document_id=d.id,
                    upto_update_id=update_log.newest_update_id(db, document_id=d.id),
                )
                for d in versions.case_documents(db, case_id=case_id)
            }
            versions.adopt(
                db,
                actor=live_server.people["aanspreekpunt"],
                case_id=case_id,
                title="Zorgoverleg",
                states=states,
                settings=Settings(database_url=live_server.database_url),
            )
            edit(db, plan, goal("Een bijbaantje zoeken", "g2"), live_server.people["moeder"].id)
            kept = checkpoints.save_if_changed(
                db, document_id=plan, reason=CheckpointReason.session_end
            )
            assert kept is not None
            return checkpoints.path_of(kept)
    finally:
        engine.dispose()


def _reset_path(live_server) -> str:  # type: ignore[no-untyped-def]
    """The page a reset link opens (the link is read from the outbox: no mail server here)."""
    engine = make_engine(live_server.database_url)
    settings = Settings(public_url=live_server.url, database_url=live_server.database_url)
    with Session(engine) as db:
        email = live_server.people["moeder"].email
        password_reset.request_reset(db, email=email, client_ip="127.0.0.9", settings=settings)
        body = db.exec(select(OutboxMessage).where(OutboxMessage.to_email == email)).all()[-1].body
    engine.dispose()
    link = re.search(r"(/wachtwoord-herstellen/\S+)", body)
    assert link is not None, body
    return link.group(1)


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)], ids=["phone", "desktop"])
def test_main_pages_have_no_wcag_violations(live_server, open_as, browser, width, height) -> None:  # type: ignore[no-untyped-def]
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make node-deps`")
    url, case_id = live_server.url, live_server.case_id
    automatic = _history(live_server)
    story = live_server.doc_url("jongere", "verhaal/mijn").removeprefix(url)
    seed_worklist(live_server)  # "Mijn gezinnen" with every kind of item
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
            f"/cases/{case_id}/voortgang",
            f"/cases/{case_id}/evaluatie",
            "/account",
            "/account/tweestapsverificatie",
            "/account/sessies",
            "/account/wachtwoord",
            "/account/meldingen",
            "/beheer/accounts",
            f"/cases/{case_id}/versies/1",
            f"/cases/{case_id}/versies/vergelijk",
            automatic,
        ],
        "jongere": [
            "/",
            f"/cases/{case_id}",
            f"/cases/{case_id}/toestemming",
            f"/cases/{case_id}/voortgang",
            f"/cases/{case_id}/evaluatie",
            story,
            f"{story}/lezers",
            live_server.doc_url("jongere", "plan").removeprefix(url),
            f"/cases/{case_id}/versies/1",
        ],
        "moeder": [
            f"/cases/{case_id}",  # with what is new since her last visit
            f"/cases/{case_id}/logboek",
            f"/cases/{case_id}/toestemming",
            "/account/tweestapsverificatie",  # setting it up: QR code and secret
        ],
    }
    problems: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="nl-NL")
    try:
        login = context.new_page()
        for path in ("/login", "/wachtwoord-vergeten", _reset_path(live_server)):
            login.goto(f"{url}{path}")
            if found := _violations(login):
                problems[path] = found
    finally:
        context.close()
    for person, paths in pages.items():
        page = open_as(person, width=width, height=height)
        for path in paths:
            page.goto(f"{url}{path}")
            page.wait_for_load_state("networkidle")
            if found := _violations(page):
                problems[f"{person} {path}"] = found
    # a confirmation page, as a browser without JavaScript gets it (form.submit() skips the
    # script's dialog)
    page = open_as("jongere", width=width, height=height)
    page.goto(f"{url}/account/sessies")
    with page.expect_navigation():
        page.evaluate("document.querySelector('form[data-confirm]').submit()")
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Overal uitloggen?").is_visible()
    if found := _violations(page):
        problems["jongere confirmation page"] = found
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
