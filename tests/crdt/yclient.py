"""A y-websocket client made of a pycrdt Doc on a Starlette TestClient WebSocket.

It answers the server like a browser's provider does (SyncStep1 → SyncStep2, applies updates,
keeps awareness). ``barrier()`` is how tests wait without clocks: it sends a SyncStep1 and pumps
until the server's answer arrived, so everything the server sent before has been handled.
A safety timeout only keeps a broken test from hanging; nothing is measured by it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import anyio
from pycrdt import Doc, Text
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

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

SAFETY_SECONDS = 20.0


def receive(ws: WebSocketTestSession, seconds: float = SAFETY_SECONDS) -> dict[str, Any]:
    """``ws.receive()`` that fails instead of hanging forever."""

    async def _receive() -> dict[str, Any]:
        with anyio.fail_after(seconds):
            return await ws._send_rx.receive()  # type: ignore[no-any-return]

    return ws.portal.call(_receive)


def expect_close(ws: WebSocketTestSession, *, ignore_data: bool = True) -> int:
    """Read until the server closes; return its close code."""
    while True:
        message = receive(ws)
        if message["type"] == "websocket.close":
            return int(message.get("code", 1000))
        assert ignore_data, f"expected a close, got {message}"


class YClient:
    def __init__(self, ws: WebSocketTestSession, *, field: str = "krachten") -> None:
        self.ws = ws
        self.doc = Doc()
        self.text = self.doc.get(field, type=Text)
        self.awareness: dict[int, dict[str, Any] | None] = {}
        self.step2_received = 0
        self.closed_with: int | None = None

    @property
    def client_id(self) -> int:
        return self.doc.client_id

    def sync(self) -> YClient:
        """Do the handshake: send our state vector and wait for the server's answer."""
        self.barrier()
        return self

    def barrier(self) -> None:
        """Ask the server for what we miss and handle every message until it answered."""
        before = self.step2_received
        self.ws.send_bytes(create_sync_message(self.doc))
        self.pump_until(lambda: self.step2_received > before)

    def pump_until(self, done: Callable[[], bool]) -> None:
        while not done():
            self.handle_next()

    def handle_next(self) -> None:
        message = receive(self.ws)
        if message["type"] == "websocket.close":
            self.closed_with = int(message.get("code", 1000))
            raise WebSocketDisconnect(self.closed_with)
        self.handle(message["bytes"])

    def handle(self, data: bytes) -> None:
        match parse_message(data):
            case SyncStep1(state_vector):
                reply = create_sync_step2_message(self.doc.get_update(state_vector))
                self.ws.send_bytes(reply)
            case SyncStep2(update):
                self.doc.apply_update(update)
                self.step2_received += 1
            case SyncUpdate(update):
                self.doc.apply_update(update)
            case AwarenessMessage(entries):
                for entry in entries:
                    self.awareness[entry.client_id] = entry.state

    def type(self, text: str) -> bytes:
        """Append text locally and send the update; returns the update sent."""
        before = self.doc.get_state()
        self.text += text
        update = self.doc.get_update(before)
        self.ws.send_bytes(create_update_message(update))
        return update

    def change(self, edit: Callable[[Doc], Any]) -> bytes:
        """Make any change in our copy and send it; returns the update sent."""
        before = self.doc.get_state()
        with self.doc.transaction():
            edit(self.doc)
        update = self.doc.get_update(before)
        self.ws.send_bytes(create_update_message(update))
        return update

    def announce(
        self, state: dict[str, Any] | None, *, client_id: int | None = None, clock: int = 1
    ) -> None:
        """Send an awareness state (by default for our own client id)."""
        entry = AwarenessEntry(client_id or self.client_id, clock, state)
        self.ws.send_bytes(awareness_message([entry]))

    def content(self) -> str:
        return str(self.text)


def eventually(condition: Callable[[], bool], *, seconds: float = SAFETY_SECONDS) -> None:
    """Poll a condition that the server makes true in the background (e.g. after a close)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition never became true"
        time.sleep(0.005)


def awareness_user(state: dict[str, Any] | None) -> dict[str, Any]:
    assert state is not None
    return json.loads(json.dumps(state["user"]))
