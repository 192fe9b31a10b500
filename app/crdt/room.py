"""A room: one open document, its live connections and their presence.

The room applies what an editing connection sends, stores the update the Doc actually committed
(from its transaction observer, never the bytes received) and relays it only after the store
confirmed it: whatever a peer has seen survives a crash. Per-connection rights are checked here
on every message; the room never decides rights itself, it reads them from the connection.
Sections with field rules (who may change which field) get a ``WriteGuard``: every update goes
through its shadow copy first, and a change the sender may not make is put back by a repair that
is applied, stored and relayed right after the update.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from pycrdt import Doc, TransactionEvent

from app.crdt.awareness import PresenceTable
from app.crdt.connection import CLOSE_INTERNAL, Connection
from app.crdt.field_rules import WriteGuard
from app.crdt.protocol import (
    EMPTY_UPDATE,
    AwarenessEntry,
    AwarenessMessage,
    Message,
    QueryAwareness,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    awareness_message,
    create_sync_message,
    create_sync_step2_message,
    create_update_message,
    encode_awareness_update,
    parse_awareness_update,
)
from app.crdt.pubsub import EventKind
from app.crdt.store import DocumentStore

log = logging.getLogger(__name__)

Publish = Callable[[EventKind, str, bytes], None]


def is_crdt_error(exc: BaseException) -> bool:
    """True for the errors pycrdt raises on bad input, including Rust panics (which derive from
    BaseException and cannot be imported by name)."""
    return isinstance(exc, ValueError | RuntimeError | IndexError | AssertionError) or is_panic(exc)


def is_panic(exc: BaseException) -> bool:
    return type(exc).__name__ == "PanicException"


class Room:
    """One document in memory with the connections that have it open."""

    def __init__(
        self,
        doc_id: str,
        state: bytes,
        *,
        store: DocumentStore,
        publish: Publish,
        section: str | None = None,
    ) -> None:
        self.doc_id = doc_id
        self.store = store
        self.publish = publish
        # skip_gc keeps deleted content, which version history and snapshots need.
        self.doc: Doc[Any] = Doc(skip_gc=True)
        if state and state != EMPTY_UPDATE:
            self.doc.apply_update(state)
        self.connections: set[Connection] = set()
        self.presence = PresenceTable()
        self.holds = 0
        self.broken = False
        self.unload_task: asyncio.Task[None] | None = None
        self._tail: asyncio.Future[None] | None = None
        self._capture: list[bytes] | None = None
        self._subscription = self.doc.observe(self._on_transaction)
        self.guard = WriteGuard.for_section(section, state) if section else None

    # -- connections ------------------------------------------------------------------------

    def join(self, conn: Connection) -> None:
        """Add a connection: send it our state vector and who is present."""
        self.connections.add(conn)
        conn.send(create_sync_message(self.doc))
        present = self.presence.snapshot()
        if present:
            conn.send(awareness_message(present))

    def leave(self, conn: Connection) -> None:
        """Remove a connection and tell everyone its presence is gone."""
        self.connections.discard(conn)
        removed = self.presence.remove_connection(conn)
        if removed:
            self._relay_awareness(removed, user_id=conn.identity.user_id)

    async def receive(self, conn: Connection, message: Message) -> None:
        """Handle one parsed message from a connection. pycrdt errors propagate to the caller,
        which closes that connection; whatever the Doc committed before is stored first."""
        match message:
            case SyncStep1(state_vector):
                reply = create_sync_step2_message(self.doc.get_update(state_vector))
                self._send_when_durable(conn, reply)
            case SyncStep2(update) | SyncUpdate(update):
                if not conn.can_edit:
                    log.debug("dropped a write from view-only user %s", conn.identity.user_id)
                    return
                await self._apply_from(conn, update)
            case AwarenessMessage(entries):
                accepted = self.presence.accept_local(conn, entries)
                if accepted:
                    self._relay_awareness(accepted, user_id=conn.identity.user_id)
            case QueryAwareness():
                conn.send(awareness_message(self.presence.snapshot()))

    # -- updates ----------------------------------------------------------------------------

    async def apply_server_update(self, update: bytes, *, author_user_id: int | None) -> None:
        """Apply a change made by the server (e.g. a restore): stored, then relayed."""
        committed, error = self._apply(update, shadowed=False)
        futures = [self._commit(u, author_user_id, None) for u in committed]
        if error is not None:
            raise error
        if futures:
            await asyncio.shield(futures[-1])

    def apply_remote(self, update: bytes) -> None:
        """Apply an update another node already stored; relay it here without storing it."""
        committed, error = self._apply(update, shadowed=False)
        if error is not None:
            log.error("an update from another node did not apply to %s: %r", self.doc_id, error)
        for update_ in committed:
            self._broadcast(create_update_message(update_), exclude=None)

    def apply_remote_awareness(self, payload: bytes) -> None:
        """Take presence from another node (already checked and rewritten there)."""
        user_text, _, update = payload.partition(b"|")
        try:
            entries = parse_awareness_update(update)
            user_id = int(user_text) if user_text else None
        except ValueError:
            log.warning("ignoring malformed awareness from another node")
            return
        accepted = self.presence.accept_remote(entries, user_id=user_id)
        if accepted:
            self._broadcast(awareness_message(accepted), exclude=None)

    async def _apply_from(self, conn: Connection, update: bytes) -> None:
        repair: bytes | None = None
        if self.guard is not None:
            # Raises (closing this connection) before the room's Doc is touched.
            self.guard.sync_with(self.doc)
            repair = self.guard.admit(update, conn.identity, current=self.doc)
        committed, error = self._apply(update, shadowed=True)
        futures = [self._commit(u, conn.identity.user_id, conn) for u in committed]
        if repair is not None and error is None:
            fixed, error = self._apply(repair, shadowed=True)
            # Made by the server, and sent to the sender too: their copy gets the old value back.
            futures += [self._commit(u, None, None) for u in fixed]
        if error is not None:
            raise error
        if futures:
            # Backpressure: the next message of this connection waits until this one is stored.
            # Shielded: if the connection goes away meanwhile, the store and relay still finish.
            # A failed write already failed the room in its done-callback.
            with contextlib.suppress(Exception):
                await asyncio.shield(futures[-1])

    def _apply(
        self, update: bytes, *, shadowed: bool
    ) -> tuple[list[bytes], BaseException | None]:
        """Apply bytes to the Doc; return what it committed (possibly a part, on an error).
        ``shadowed``: the guard's shadow has the update already."""
        if not update or update == EMPTY_UPDATE:
            return [], None
        captured: list[bytes] = []
        self._capture = captured
        try:
            self.doc.apply_update(update)
        except BaseException as exc:
            if not is_crdt_error(exc):
                raise
            if self.guard is not None:
                self.guard.mark_stale()
            return captured, exc
        finally:
            self._capture = None
        if self.guard is not None and not shadowed:
            self._follow(update)
        return captured, None

    def _follow(self, update: bytes) -> None:
        assert self.guard is not None
        try:
            self.guard.follow(update)
        except BaseException as exc:
            if not is_crdt_error(exc):
                raise
            log.error("the shadow of %s did not take an update; rebuilding it", self.doc_id)

    def _on_transaction(self, event: TransactionEvent) -> None:
        update = event.update
        if self._capture is not None:
            if update and update != EMPTY_UPDATE:
                self._capture.append(update)
        else:
            log.error("a change to %s outside the room's apply path was not stored", self.doc_id)

    def _commit(
        self, update: bytes, author_user_id: int | None, origin: Connection | None
    ) -> asyncio.Future[None]:
        future = self.store.append(self.doc_id, update, author_user_id=author_user_id)
        self._tail = future
        if future.done():
            # Stored already (the store's fast path): relay now rather than a loop turn later.
            self._after_stored(update, origin, future)
        else:
            future.add_done_callback(partial(self._after_stored, update, origin))
        return future

    def _after_stored(
        self, update: bytes, origin: Connection | None, future: asyncio.Future[None]
    ) -> None:
        if future.cancelled() or future.exception() is not None:
            log.error(
                "storing an update of %s failed: %r",
                self.doc_id,
                future.exception() if not future.cancelled() else "cancelled",
            )
            # The Doc now holds a change that is not durable: nobody may see it. Close
            # everyone; they reconnect to a fresh load and their clients send it again.
            self.fail(CLOSE_INTERNAL)
            return
        if self.broken:
            return
        self._broadcast(create_update_message(update), exclude=origin)
        self.publish("update", self.doc_id, update)

    def _send_when_durable(self, conn: Connection, message: bytes) -> None:
        """Send a reply that shows the Doc's state only after everything in it is stored."""
        tail = self._tail
        if tail is None or tail.done():
            conn.send(message)
            return

        def send(future: asyncio.Future[None]) -> None:
            if not future.cancelled() and future.exception() is None:
                conn.send(message)

        tail.add_done_callback(send)

    # -- fan-out ----------------------------------------------------------------------------

    def _broadcast(self, message: bytes, *, exclude: Connection | None) -> None:
        for conn in list(self.connections):
            if conn is not exclude:
                conn.send(message)

    def _relay_awareness(self, entries: list[AwarenessEntry], *, user_id: int) -> None:
        # Everyone, the sender too: it learns the user field the server gave it.
        self._broadcast(awareness_message(entries), exclude=None)
        payload = f"{user_id}|".encode() + encode_awareness_update(entries)
        self.publish("awareness", self.doc_id, payload)

    # -- lifecycle --------------------------------------------------------------------------

    def fail(self, code: int) -> None:
        """Mark the room unusable and close its connections; the server loads it afresh."""
        self.broken = True
        for conn in list(self.connections):
            conn.close(code)

    async def settled(self) -> None:
        """Wait until every update applied so far is stored (or failed)."""
        while self._tail is not None and not self._tail.done():
            tail = self._tail
            await asyncio.wait({tail})

    def close(self) -> None:
        """Release the Doc; the room is not used after this."""
        self.broken = True
        self.doc.unobserve(self._subscription)
