"""Helpers for tests against a real server process: start/kill ``eenplan serve``, sign in over
HTTP, and a y-websocket client made of a pycrdt Doc on the ``websockets`` package."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pycrdt import Doc, Text
from sqlmodel import Session, select
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from app.crdt.protocol import (
    AwarenessEntry,
    AwarenessMessage,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    awareness_message,
    create_sync_message,
    create_sync_step2_message,
    create_update_message,
    parse_message,
)
from app.db import make_engine
from app.models import Role, Section, User
from app.security import SESSION_COOKIE
from app.services import cases, membership, participants
from tests.conftest import TEST_SECRET_KEY, Family, _years_ago, make_user, next_totp_code
from tests.crdt.conftest import doc_id_of

EENPLAN = str(Path(sys.executable).parent / "eenplan")
STARTUP_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    """``eenplan serve`` in its own process on a free port."""

    database_url: str
    log_path: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    extra_env: dict[str, str] | None = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        self.port = self.port or free_port()
        env = {
            **os.environ,
            "EENPLAN_DATABASE_URL": self.database_url,
            "EENPLAN_PUBLIC_URL": self.origin,
            "EENPLAN_ENVIRONMENT": "test",
            "EENPLAN_SECRET_KEY": TEST_SECRET_KEY,
            **(self.extra_env or {}),
        }
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [EENPLAN, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert self.process.poll() is None, self.log_path.read_text()
            try:
                if httpx.get(f"{self.origin}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            log = self.log_path.read_text()
            assert time.monotonic() < deadline, "server did not start:\n" + log
            time.sleep(0.1)

    def kill(self) -> None:
        """kill -9: no shutdown, no flush."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def sign_in(self, email: str, password: str) -> str:
        """POST /login like a browser (with the code from the app when the account uses
        two-factor sign-in); return the session cookie's value."""
        data = {"email": email, "password": password}
        engine = make_engine(self.database_url)
        with Session(engine) as db:
            user = db.exec(select(User).where(User.email == email)).one()
            if user.uses_two_factor:
                data["code"] = next_totp_code(engine, user.id)  # type: ignore[arg-type]
        engine.dispose()
        response = httpx.post(
            f"{self.origin}/login", data=data, headers={"Origin": self.origin}, timeout=30
        )
        assert response.status_code == 303, response.text
        token = response.cookies.get(SESSION_COOKIE)
        assert token
        return token

    def ws_url(self, doc_id: str) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/docs/{doc_id}"


class LiveYClient:
    """A pycrdt Doc synced over a real WebSocket; a background thread handles what arrives."""

    def __init__(
        self, server: LiveServer, token: str, doc_id: str, *, field: str = "krachten"
    ) -> None:
        self.doc = Doc()
        self.text = self.doc.get(field, type=Text)
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.synced = False
        self.error: BaseException | None = None
        self.awareness: dict[int, dict[str, Any] | None] = {}
        self.closed = False
        self.close_code: int | None = None
        self.closed_at: float | None = None  # time.perf_counter() when the socket closed
        self.ws: ClientConnection = connect(
            server.ws_url(doc_id),
            additional_headers={
                "Cookie": f"{SESSION_COOKIE}={token}",
                "Origin": server.origin,
            },
            open_timeout=30,
            legacy=True,  # a plain connection object; the reader thread owns receiving
        )
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        self.ws.send(create_sync_message(self.doc))

    def _read(self) -> None:
        try:
            for data in self.ws:
                assert isinstance(data, bytes)
                with self.changed:
                    match parse_message(data):
                        case SyncStep1(state_vector):
                            self.ws.send(
                                create_sync_step2_message(self.doc.get_update(state_vector))
                            )
                        case SyncStep2(update):
                            self.doc.apply_update(update)
                            self.synced = True
                        case SyncUpdate(update):
                            self.doc.apply_update(update)
                        case AwarenessMessage(entries):
                            for entry in entries:
                                self.awareness[entry.client_id] = entry.state
                    self.changed.notify_all()
        except ConnectionClosed as exc:
            self.close_code = exc.rcvd.code if exc.rcvd is not None else None
        except Exception as exc:
            self.error = exc
        finally:
            self.closed_at = time.perf_counter()
            with self.changed:
                self.closed = True
                self.changed.notify_all()

    def wait_for(self, condition: Callable[[LiveYClient], bool], seconds: float = 30) -> None:
        """Block until ``condition`` holds (a safety deadline only keeps a failure from hanging)."""
        with self.changed:
            ok = self.changed.wait_for(lambda: condition(self) or self.closed, timeout=seconds)
        assert self.error is None, self.error
        assert ok and condition(self), f"condition not met; text is {self.content()!r}"

    def type(self, text: str) -> None:
        with self.lock:
            before = self.doc.get_state()
            self.text += text
            update = self.doc.get_update(before)
        self.ws.send(create_update_message(update))

    def announce(self, state: dict[str, Any]) -> None:
        """Send our presence (clock 1)."""
        self.ws.send(awareness_message([AwarenessEntry(self.doc.client_id, 1, state)]))

    def peer_names(self) -> set[str]:
        return {
            str(state["user"]["name"])
            for client_id, state in self.awareness.items()
            if state and client_id != self.doc.client_id and "user" in state
        }

    def content(self) -> str:
        return str(self.text)

    def close(self) -> None:
        self.ws.close()
        self.thread.join(timeout=10)


@contextlib.contextmanager
def running(server: LiveServer) -> Iterator[LiveServer]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


def family_with_document(database_url: str) -> tuple[Family, str]:
    """An aanspreekpunt and a youth in a new case, and the id of its analyse document."""
    engine = make_engine(database_url)
    with Session(engine, expire_on_commit=False) as db:
        wij = make_user(db, "Wendy WIJ", professional=True, totp=True)
        case = cases.create_case(
            db, actor=wij, label="Gezin Crash", youth_birth_date=_years_ago(15).isoformat()
        )
        youth = make_user(db, "Jongere")
        place = participants.add_participant(db, case=case, user=youth, role=Role.jongere)
        db.commit()
        family = Family(
            case=case,
            people={"aanspreekpunt": wij, "jongere": youth},
            places={
                "aanspreekpunt": membership.active_participant(db, user=wij, case_id=case.id),
                "jongere": place,
            },
        )
        doc_id = doc_id_of(db, family, Section.analyse)
    engine.dispose()
    return family, doc_id
