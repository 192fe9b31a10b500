"""A room: one open document, its live connections and their presence.

The room's Doc holds only what is stored. An update from a connection is first read and
checked (``admission``: whose client ids, which ranges, which roots), then applied to the
room's shadow (``shadow``), which yields what the change actually committed and, if a field
rule was broken, a repair. Those are stored; once stored they are applied to the room's Doc
and relayed. Whatever a peer has seen survives a crash, and a change that fails anywhere
(refused, not applicable, not stored) reaches nobody: only its sender is told, by the close
code of its connection. Per-connection rights are checked here on every message; the room
never decides rights itself, it reads them from the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pycrdt import Doc

from app.crdt.admission import UpdateIncomplete, UpdateRefused, admit
from app.crdt.awareness import PresenceTable
from app.crdt.client_owners import SERVER, ClientOwners
from app.crdt.close_codes import CLOSE_RESTART, CLOSE_TRY_AGAIN
from app.crdt.connection import Connection
from app.crdt.field_rules import FieldRules
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
from app.crdt.schema import root_kinds
from app.crdt.shadow import Change, Shadow, ShadowFailed, is_crdt_error
from app.crdt.store import DocumentStore, LoadedDocument
from app.crdt.update_reader import UpdateFormatError, UpdateOutline, read_update

log = logging.getLogger(__name__)

Publish = Callable[[EventKind, str, bytes], None]

DEFAULT_MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
DEFAULT_PRESENCE_PER_SECOND = 10.0


class DocumentFull(Exception):
    """The update would grow the document past its limit."""


class StoreUnavailable(Exception):
    """Storing failed; the update was not taken (the sender sends it again later)."""


@dataclass(frozen=True)
class RoomLimits:
    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES
    presence_per_second: float = DEFAULT_PRESENCE_PER_SECOND


@dataclass(eq=False)
class _Pending:
    """A change handed to the store and not yet settled."""

    change: Change
    origin: Connection | None
    new_clients: tuple[int, ...]


@dataclass(eq=False)
class _PresenceOutbox:
    """Presence of one connection waiting to be relayed (relays are spaced out)."""

    last_sent: float = 0.0
    pending: dict[int, AwarenessEntry] = field(default_factory=dict)
    timer: asyncio.TimerHandle | None = None


class Room:
    """One document in memory with the connections that have it open."""

    def __init__(
        self,
        doc_id: str,
        loaded: LoadedDocument,
        *,
        store: DocumentStore,
        publish: Publish,
        section: str,
        limits: RoomLimits | None = None,
    ) -> None:
        self.doc_id = doc_id
        self.store = store
        self.publish = publish
        self.section = section
        self.limits = limits or RoomLimits()
        self.roots = root_kinds(section)
        # skip_gc keeps deleted content, which version history and snapshots need.
        self.doc: Doc[Any] = Doc(skip_gc=True)
        if loaded.state and loaded.state != EMPTY_UPDATE:
            self.doc.apply_update(loaded.state)
        self.shadow = Shadow(loaded.state, rules=FieldRules.for_section(section))
        self.clients = ClientOwners(loaded.clients)
        self.connections: set[Connection] = set()
        self.presence = PresenceTable()
        self.holds = 0
        self.broken = False
        self.unload_task: asyncio.Task[None] | None = None
        self._in_flight: deque[_Pending] = deque()
        self._poisoned = False
        self._tail: asyncio.Future[None] | None = None
        self._looked_up: set[int] = set()
        self._outboxes: dict[Connection, _PresenceOutbox] = {}
        # True once a change was stored through this room (by anyone, on this node).
        self.changed = False

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
        outbox = self._outboxes.pop(conn, None)
        if outbox is not None and outbox.timer is not None:
            outbox.timer.cancel()
        removed = self.presence.remove_connection(conn)
        if removed:
            self._relay_awareness(removed, user_id=conn.identity.user_id)

    async def receive(self, conn: Connection, message: Message) -> None:
        """Handle one parsed message from a connection. Raises ``UpdateRefused``,
        ``DocumentFull`` or ``StoreUnavailable`` for an update the room does not take; the
        caller closes that connection (the room and everyone else are untouched)."""
        match message:
            case SyncStep1(state_vector):
                # The Doc holds only what is stored, so the answer can go at once.
                conn.send(create_sync_step2_message(self.doc.get_update(state_vector)))
            case SyncStep2(update) | SyncUpdate(update):
                if isinstance(message, SyncStep2):
                    conn.asked_for_missing = False
                if not conn.can_edit:
                    log.debug("dropped a write from view-only user %s", conn.identity.user_id)
                    return
                await self._write(conn, update)
            case AwarenessMessage(entries):
                accepted = self.presence.accept_local(conn, entries)
                if accepted:
                    self._queue_presence(conn, accepted)
            case QueryAwareness():
                conn.send(awareness_message(self.presence.snapshot()))

    # -- updates from connections -----------------------------------------------------------

    async def _write(self, conn: Connection, update: bytes) -> None:
        if not update or update == EMPTY_UPDATE:
            return
        try:
            outline = read_update(update)
        except UpdateFormatError as exc:
            raise UpdateRefused(f"malformed update: {exc}") from exc
        if self._poisoned:
            raise StoreUnavailable()
        await self._look_up_clients(outline)
        user_id = conn.identity.user_id
        try:
            new_clients = admit(
                outline,
                self.shadow.known,
                roots=self.roots,
                owner_of=self.clients.judge_for(user_id),
            )
        except UpdateIncomplete:
            # Its own earlier changes have not come yet (typed during a reconnect): ask for
            # everything we lack; the answer holds this update too.
            if not conn.asked_for_missing:
                conn.asked_for_missing = True
                conn.send(create_sync_message(self.shadow.doc))
            return
        self._check_size(outline, update)
        try:
            changes = self.shadow.take(update, outline, conn.identity)
        except ShadowFailed as exc:
            self._rebuild_shadow(reindex=False)
            raise UpdateRefused(f"the update does not apply: {exc.cause!r}") from exc
        if not changes:
            return
        self.clients.bind(new_clients, user_id)
        futures = []
        for change in changes:
            bind = new_clients if change.from_sender else self._server_clients(change)
            origin = conn if change.from_sender else None
            futures.append(self._store(change, origin, bind))
            new_clients = () if change.from_sender else new_clients
        # Backpressure: the next message of this connection waits until this one is stored.
        # Shielded: if the connection goes away meanwhile, the store and relay still finish.
        # A failed store closes this connection in the settle step.
        with contextlib.suppress(Exception):
            await asyncio.shield(futures[-1])

    async def _look_up_clients(self, outline: UpdateOutline) -> None:
        """Client ids the document has but whose owner this node does not know were bound on
        another node: read the bindings from the store (once per id)."""
        unknown = [
            group.client
            for group in outline.groups
            if group.client not in self.clients
            and group.client not in self._looked_up
            and 0 < self.shadow.known.next_clock(group.client) < group.end
        ]
        if unknown:
            self._looked_up.update(unknown)
            self.clients.merge(await self.store.load_clients(self.doc_id))

    def _check_size(self, outline: UpdateOutline, update: bytes) -> None:
        if not outline.groups:
            return  # deletes only: they never grow a document much, and must always work
        limit = self.limits.max_document_bytes
        if self.shadow.size_estimate + len(update) <= limit:
            return
        if self.shadow.exact_size() + len(update) > limit:
            raise DocumentFull()

    def _server_clients(self, change: Change) -> tuple[int, ...]:
        """The server's own client ids a change (a repair) is the first to use."""
        owner = self.shadow.client_id
        if owner in self.clients:
            return ()
        self.clients.bind([owner], SERVER)
        return (owner,)

    # -- changes made by the server or other nodes ------------------------------------------

    async def apply_server_update(self, update: bytes, *, author_user_id: int | None) -> None:
        """Apply a change made by the server (e.g. a restore): stored, then relayed. Raises
        ``StoreUnavailable`` when it could not be stored."""
        if self._poisoned:
            raise StoreUnavailable()
        try:
            committed = self.shadow.take_trusted(update)
        except ShadowFailed as exc:
            self._rebuild_shadow(reindex=False)
            raise ValueError(f"a change by the server does not apply: {exc.cause!r}") from exc
        futures = []
        for part in committed:
            new_clients = tuple(
                group.client
                for group in read_update(part).groups
                if group.client not in self.clients
            )
            self.clients.bind(new_clients, author_user_id)
            futures.append(self._store(Change(part, author_user_id, False), None, new_clients))
        if futures:
            await asyncio.shield(futures[-1])
            if futures[-1].exception() is not None:
                raise StoreUnavailable()

    def apply_remote(self, update: bytes) -> None:
        """Apply an update another node already stored; relay it here without storing it."""
        try:
            committed = self.shadow.take_trusted(update)
        except ShadowFailed as exc:
            self._rebuild_shadow(reindex=False)
            log.error("an update from another node did not apply to %s: %r", self.doc_id, exc)
            return
        try:
            self.doc.apply_update(update)
        except BaseException as exc:
            if not is_crdt_error(exc):
                raise
            log.error("an update from another node did not apply to %s: %r", self.doc_id, exc)
            self.fail(CLOSE_RESTART)
            return
        for part in committed:
            self._broadcast(create_update_message(part), exclude=None)

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

    def show_server_presence(self, entries: list[AwarenessEntry]) -> None:
        """Presence of the server itself (a notice for everyone who has the document open)."""
        accepted = self.presence.accept_remote(tuple(entries), user_id=None)
        if accepted:
            self._broadcast(awareness_message(accepted), exclude=None)

    # -- storing ----------------------------------------------------------------------------

    def _store(
        self, change: Change, origin: Connection | None, new_clients: tuple[int, ...]
    ) -> asyncio.Future[None]:
        pending = _Pending(change, origin, new_clients)
        self._in_flight.append(pending)
        future = self.store.append(
            self.doc_id,
            change.update,
            author_user_id=change.author_user_id,
            new_clients=new_clients,
        )
        self._tail = future
        if future.done():
            # Stored already (the store's fast path): relay now rather than a loop turn later.
            self._settle(pending, future)
        else:
            future.add_done_callback(partial(self._settle, pending))
        return future

    def _settle(self, pending: _Pending, future: asyncio.Future[None]) -> None:
        # The store settles appends in the order they were made.
        if self._in_flight and self._in_flight[0] is pending:
            self._in_flight.popleft()
        else:
            log.error("a change of %s settled out of order", self.doc_id)
            with contextlib.suppress(ValueError):
                self._in_flight.remove(pending)
        failed = future.cancelled() or future.exception() is not None
        if failed or self._poisoned:
            self._drop(pending, failed=failed)
            return
        try:
            self.doc.apply_update(pending.change.update)
        except BaseException as exc:
            if not is_crdt_error(exc):
                raise
            log.error("a stored change did not apply to %s: %r; reloading", self.doc_id, exc)
            self.fail(CLOSE_RESTART)
            return
        self.changed = True
        if self.broken:
            return
        self._broadcast(create_update_message(pending.change.update), exclude=pending.origin)
        self.publish("update", self.doc_id, pending.change.update)

    def _drop(self, pending: _Pending, *, failed: bool) -> None:
        """A change that was not stored (or follows one that was not): nobody sees it, its
        sender is closed and sends it again after reconnecting. Once nothing is in flight the
        shadow starts again from what is stored."""
        if failed:
            log.error("storing a change of %s failed; its sender will send it again", self.doc_id)
        self._poisoned = True
        self.clients.unbind(pending.new_clients)
        if pending.origin is not None:
            pending.origin.close(CLOSE_TRY_AGAIN, "not stored, try again")
        if not self._in_flight:
            self._poisoned = False
            # The dropped changes are in the index: read the document again.
            self._rebuild_shadow(reindex=True)

    def _rebuild_shadow(self, *, reindex: bool) -> None:
        self.shadow.rebuild(
            self.doc.get_update(),
            (pending.change.update for pending in self._in_flight),
            reindex=reindex,
        )

    # -- fan-out ----------------------------------------------------------------------------

    def _broadcast(self, message: bytes, *, exclude: Connection | None) -> None:
        for conn in list(self.connections):
            if conn is not exclude:
                conn.send(message)

    def _queue_presence(self, conn: Connection, entries: list[AwarenessEntry]) -> None:
        """Relay a connection's presence at most ``presence_per_second`` times a second; what
        comes in between is merged and the newest state goes out when it is time."""
        outbox = self._outboxes.setdefault(conn, _PresenceOutbox())
        for entry in entries:
            outbox.pending[entry.client_id] = entry
        if outbox.timer is not None:
            return
        interval = 1.0 / self.limits.presence_per_second
        wait = outbox.last_sent + interval - time.monotonic()
        if wait <= 0:
            self._flush_presence(conn, outbox)
        else:
            loop = asyncio.get_running_loop()
            outbox.timer = loop.call_later(wait, self._flush_presence, conn, outbox)

    def _flush_presence(self, conn: Connection, outbox: _PresenceOutbox) -> None:
        outbox.timer = None
        outbox.last_sent = time.monotonic()
        entries = list(outbox.pending.values())
        outbox.pending.clear()
        if entries and conn in self.connections:
            self._relay_awareness(entries, user_id=conn.identity.user_id)

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
        """Wait until every change applied so far is stored (or failed)."""
        while self._tail is not None and not self._tail.done():
            tail = self._tail
            await asyncio.wait({tail})

    def close(self) -> None:
        """Release the Doc; the room is not used after this."""
        self.broken = True
        for outbox in self._outboxes.values():
            if outbox.timer is not None:
                outbox.timer.cancel()
        self._outboxes.clear()
