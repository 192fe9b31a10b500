"""A real eenplan server (uvicorn in a subprocess, SQLite) and Chromium through Playwright.

Chromium comes from the system (/usr/bin/chromium, `make system-deps`); Playwright never
downloads a browser here.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from pycrdt import Doc
from sqlmodel import Session, select

from app.crdt import store
from app.db import make_engine
from app.migrate import upgrade_to_head
from app.models import Document, Role, Section, User
from app.services import cases, membership, participants, two_factor
from app.services.documents import documents_for_user
from tests.conftest import (
    PASSWORD,
    TEST_SECRET_KEY,
    _totp_secret,
    _years_ago,
    make_user,
    next_totp_code,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path("/tmp/shots")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    database_url: str
    case_id: str = ""
    people: dict[str, User] | None = None
    docs: dict[str, dict[str, str]] | None = None  # person key → section name → doc id

    def doc_url(self, person: str, section: str) -> str:
        assert self.docs is not None
        return f"{self.url}/cases/{self.case_id}/docs/{self.docs[person][section]}"

    def stored_doc(self, doc_id: str) -> Doc:
        """The document as the server stored it: latest snapshot plus the updates after it."""
        engine = make_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return store.stored_doc(conn, doc_id)
        finally:
            engine.dispose()


def _seed(database_url: str) -> tuple[str, dict[str, User], dict[str, dict[str, str]]]:
    engine = make_engine(database_url)
    with Session(engine, expire_on_commit=False) as db:
        wij = make_user(db, "Wendy WIJ", professional=True, admin=True)
        case = cases.create_case(
            db, actor=wij, label="Gezin De Vries", youth_birth_date=_years_ago(14).isoformat()
        )
        people = {"aanspreekpunt": wij}
        for key, name, role, gezag in [
            ("jongere", "Sanne", Role.jongere, False),
            ("moeder", "Marieke", Role.ouder, True),
        ]:
            user = make_user(db, name)
            participants.add_participant(db, case=case, user=user, role=role, gezag=gezag)
            db.commit()
            people[key] = user
        docs: dict[str, dict[str, str]] = {}
        for key, user in people.items():
            docs[key] = {}
            for access in documents_for_user(db, user=user, case_id=case.id):
                name = access.section_name
                if access.document.section == Section.verhaal:
                    owner = access.document.owner_participant_id
                    mine = membership.find_active_participant(
                        db,
                        user_id=user.id,
                        case_id=case.id,  # type: ignore[arg-type]
                    )
                    name = "verhaal/mijn" if mine and mine.id == owner else name
                docs[key][name] = access.document.id
        # the story of the youth, for everyone
        sanne_story = next(
            d
            for d in db.exec(select(Document).where(Document.case_id == case.id))
            if d.section == Section.verhaal and docs["jongere"].get("verhaal/mijn") == d.id
        )
        for key in people:
            docs[key]["verhaal/jongere"] = sanne_story.id
        case_id = case.id
    engine.dispose()
    return case_id, people, docs


@pytest.fixture
def live_server(server: LiveServer) -> LiveServer:
    """The running server with a new family case of its own (Wendy WIJ, Sanne 14, Marieke)."""
    case_id, people, docs = _seed(server.database_url)
    return LiveServer(server.url, server.database_url, case_id, people, docs)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (make system-deps)")
    tmp = tmp_path_factory.mktemp("live")
    database_url = f"sqlite:///{tmp / 'eenplan.db'}"
    upgrade_to_head(database_url)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "EENPLAN_DATABASE_URL": database_url,
        "EENPLAN_PUBLIC_URL": url,
        "EENPLAN_ENVIRONMENT": "test",
        "EENPLAN_SECRET_KEY": TEST_SECRET_KEY,
    }
    log = (tmp / "server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-server-header",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start; see {tmp / 'server.log'}")
            time.sleep(0.2)
        yield LiveServer(url, database_url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (make system-deps)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_as(live_server: LiveServer, browser) -> Iterator[Callable[..., object]]:  # type: ignore[no-untyped-def]
    """``open_as("moeder", width=390, height=844)`` → a signed-in Playwright page of its own."""
    contexts = []

    def open_page(person: str, *, width: int = 1280, height: int = 900):  # type: ignore[no-untyped-def]
        context = browser.new_context(viewport={"width": width, "height": height}, locale="nl-NL")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{live_server.url}/login")
        assert live_server.people is not None
        page.fill("input[name=email]", live_server.people[person].email)
        page.fill("input[name=password]", PASSWORD)
        page.locator("form:has(input[name=password]) [type=submit]").click()
        page.wait_for_load_state()
        user = live_server.people[person]
        engine = make_engine(live_server.database_url)
        try:
            if page.locator("input[name=pending]").count():  # it asks for the code
                page.fill("input[name=code]", next_totp_code(engine, user.id))  # type: ignore[arg-type]
                page.locator("form:has(input[name=code]) [type=submit]").click()
            elif "/account/tweestapsverificatie" in page.url:  # must set it up first
                code = two_factor.current_code(_totp_secret(engine, user.id))  # type: ignore[arg-type]
                page.fill("input[name=code]", code)
                page.locator("form:has(input[name=code]) [type=submit]").click()
                page.get_by_role("link", name="Verder naar eenplan").click()
        finally:
            engine.dispose()
        page.wait_for_url(lambda u: "/login" not in u and "tweestapsverificatie" not in u)
        return page

    yield open_page
    for context in contexts:
        context.close()
