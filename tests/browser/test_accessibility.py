"""Every main page passes axe-core's WCAG 2.2 A/AA rules, at phone and desktop width.

axe-core comes from package.json (node_modules), is injected into the page and run there,
with the page's Content-Security-Policy on.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlmodel import Session, select

from app.db import make_engine
from app.models import OutboxMessage
from app.services import password_reset
from app.settings import Settings
from tests.browser.test_worklist import seed_worklist
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
            "/account",
            "/account/tweestapsverificatie",
            "/account/sessies",
            "/account/wachtwoord",
            "/account/meldingen",
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
