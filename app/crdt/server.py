"""The room server: opens and unloads rooms, runs connections, reacts to access changes.

One room per open document. Two connections opening the same new document wait on one per-doc
lock, so it is loaded once. A room is unloaded a short while after its last connection left,
once its pending writes are stored. Access changes (from the services through the AccessBus,
or from other nodes through pub/sub) re-check every open connection of the case: no access
closes it (4403), view access makes it read-only at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import anyio
from starlette.websockets import WebSocket

from app.crdt.admission import UpdateRefused
from app.crdt.close_codes import (
    CLOSE_DOCUMENT_FULL,
    CLOSE_FORBIDDEN,
    CLOSE_GOING_AWAY,
    CLOSE_INTERNAL,
    CLOSE_PRESENCE_TOO_BIG,
    CLOSE_REFUSED_UPDATE,
    CLOSE_TOO_BIG,
    CLOSE_TOO_MANY_CONNECTIONS,
    CLOSE_TOO_MANY_MESSAGES,
    CLOSE_TRY_AGAIN,
    CLOSE_UNSUPPORTED,
)
from app.crdt.connection import DEFAULT_SEND_QUEUE, Connection, TokenBucket
from app.crdt.policy import Access, AccessPolicy, Admitted, Identity
from app.crdt.protocol import (
    AwarenessEntry,
    ProtocolError,
    SyncStep2,
    SyncUpdate,
    encode_awareness_update,
    parse_message,
)
from app.crdt.pubsub import Event, EventKind, PubSub
from app.crdt.room import (
    DEFAULT_MAX_DOCUMENT_BYTES,
    DocumentFull,
    Room,
    RoomLimits,
    StoreUnavailable,
)
from app.crdt.shadow import is_crdt_error
from app.crdt.store import DEFAULT_COMPACT_AFTER, DocumentStore

log = logging.getLogger(__name__)

# How long a request that changed someone's access waits for their sockets to follow.
ACCESS_WAIT_SECONDS = 10.0
MESSAGE_BURST_SECONDS = 5.0
AWARENESS_MESSAGE = 1  # the first byte of a y-websocket awareness message
NOTICE_SECONDS = 120.0
SERVER_ROLE = "server"  # the role in the presence of the server's own notices


@dataclass
class RoomConfig:
    """Tunables of the room server (tests make them small)."""

    unload_after_seconds: float = 2.0
    compact_after: int = DEFAULT_COMPACT_AFTER
    send_queue_size: int = DEFAULT_SEND_QUEUE
    close_timeout_seconds: float = 5.0


@dataclass
class ServerLimits:
    """The quotas of the sync server (``EENPLAN_MAX_*`` settings)."""

    max_message_bytes: int = 1024 * 1024
    max_connections_per_user: int = 40
    max_messages_per_second: float = 60.0
    max_awareness_bytes: int = 8 * 1024
    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES


@dataclass(frozen=True)
class Grant:
    """The outcome of a successful handshake check: who, which document, which rights."""

    doc_id: str
    identity: Identity
    access: Access
    access_epoch: int = field(compare=False)


class RoomServer:
    """Owns every room of this node. ``app.main`` calls ``start()`` and ``stop()``."""

    def __init__(
        self,
        *,
        policy: AccessPolicy,
        store: DocumentStore,
        pubsub: PubSub,
        limits: ServerLimits | None = None,
        config: RoomConfig | None = None,
        on_unloaded: Callable[[str], Coroutine[Any, Any, None]] | None = None,
    ) -> None:
        self.policy = policy
        # Called with a document id when its room was unloaded after changes were made in it:
        # the end of an editing session (the app keeps an automatic checkpoint then).
        self.on_unloaded = on_unloaded
        self.store = store
        self.pubsub = pubsub
        self.limits = limits or ServerLimits()
        self.config = config or RoomConfig()
        self.rooms: dict[str, Room] = {}
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._loading: dict[str, list[bytes]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._access_epoch = 0
        self._per_user: Counter[int] = Counter()
        self._loop_thread: int | None = None
        self._stopping = False
        self._serving = 0
        self._idle = asyncio.Event()
        self._idle.set()

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Subscribe to the other nodes."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._stopping = False
        await self.pubsub.start(self._on_remote_event, on_gap=self._after_gap)

    async def stop(self) -> None:
        """Close every connection (1001), store what is pending, stop the writer and pub/sub."""
        self._stopping = True
        for room in list(self.rooms.values()):
            for conn in list(room.connections):
                conn.close(CLOSE_GOING_AWAY)
        with anyio.move_on_after(self.config.close_timeout_seconds):
            await self._idle.wait()
        for room in list(self.rooms.values()):
            await room.settled()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for room in list(self.rooms.values()):
            room.close()
        self.rooms.clear()
        await self.store.close()
        await self.pubsub.stop()

    # -- handshake and connections ----------------------------------------------------------

    async def authorize(self, session_token: str | None, doc_id: str) -> Grant | int:
        """Who is asking for which document: a Grant, or the close code to refuse with."""
        epoch = self._access_epoch
        return await anyio.to_thread.run_sync(self._authorize_sync, session_token, doc_id, epoch)

    def _authorize_sync(self, session_token: str | None, doc_id: str, epoch: int) -> Grant | int:
        admitted = self.policy.admit(session_token, doc_id)
        if isinstance(admitted, int):
            return admitted
        return Grant(doc_id, admitted.identity, admitted.access, epoch)

    async def serve(self, websocket: WebSocket, grant: Grant) -> None:
        """Run an accepted WebSocket in its document's room until either side closes."""
        self._serving += 1
        self._idle.clear()
        user_id = grant.identity.user_id
        self._per_user[user_id] += 1
        try:
            await self._serve(websocket, grant)
        finally:
            self._per_user[user_id] -= 1
            if self._per_user[user_id] <= 0:
                del self._per_user[user_id]
            self._serving -= 1
            if self._serving == 0:
                self._idle.set()

    async def _serve(self, websocket: WebSocket, grant: Grant) -> None:
        rate = self.limits.max_messages_per_second
        conn = Connection(
            websocket,
            grant.doc_id,
            grant.identity,
            grant.access,
            queue_size=self.config.send_queue_size,
            messages=TokenBucket(rate, max(rate * MESSAGE_BURST_SECONDS, 20.0)),
        )
        refusal = None
        if self._stopping:
            refusal = CLOSE_GOING_AWAY
        elif self._per_user[grant.identity.user_id] > self.limits.max_connections_per_user:
            log.warning("user %s has too many sockets open", grant.identity.user_id)
            refusal = CLOSE_TOO_MANY_CONNECTIONS
        if refusal is not None:
            conn.close(refusal)
            await conn.send_loop()
            return
        room = await self._acquire(grant.doc_id)
        try:
            room.join(conn)
            if self._access_epoch != grant.access_epoch:
                # Access changed while we were checking it: check again with what is now true.
                self._spawn(self._recheck([conn]))
            await self._run(room, conn)
        finally:
            room.leave(conn)
            self._release(room)

    async def _run(self, room: Room, conn: Connection) -> None:
        sender = asyncio.create_task(conn.send_loop())
        receiver = asyncio.create_task(self._receive_loop(room, conn))
        try:
            done, _ = await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
            if receiver in done and not receiver.cancelled() and receiver.exception():
                log.error("connection to %s failed", room.doc_id, exc_info=receiver.exception())
                conn.close(CLOSE_INTERNAL)
            if receiver in done and conn.is_closing:
                # We decided to close: let the sender deliver the close frame.
                await asyncio.wait({sender}, timeout=self.config.close_timeout_seconds)
        finally:
            for task in (sender, receiver):
                task.cancel()
            for task in (sender, receiver):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _receive_loop(self, room: Room, conn: Connection) -> None:
        limits = self.limits
        while not conn.is_closing:
            event = await conn.websocket.receive()
            if event["type"] == "websocket.disconnect":
                return
            data = event.get("bytes")
            if data is None:
                conn.close(CLOSE_UNSUPPORTED, "binary frames only")
                return
            if not conn.allow_message():
                log.warning("closing a socket of user %s: too many messages", conn.identity.user_id)
                conn.close(CLOSE_TOO_MANY_MESSAGES, "too many messages")
                return
            if len(data) > limits.max_message_bytes:
                conn.close(CLOSE_TOO_BIG, "message too big")
                return
            if data[:1] == bytes([AWARENESS_MESSAGE]) and len(data) > limits.max_awareness_bytes:
                conn.close(CLOSE_PRESENCE_TOO_BIG, "presence too big")
                return
            try:
                message = parse_message(data)
            except ProtocolError as exc:
                log.info("closing a connection that sent a malformed message: %s", exc)
                conn.close(CLOSE_REFUSED_UPDATE, "malformed message")
                return
            if isinstance(message, SyncStep2 | SyncUpdate):
                # A change of rights being checked right now decides first.
                await conn.writes_allowed()
                if conn.is_closing:
                    return
            try:
                await room.receive(conn, message)
            except UpdateRefused as exc:
                log.warning(
                    "refused an update of user %s to %s: %s",
                    conn.identity.user_id,
                    room.doc_id,
                    exc.reason,
                )
                conn.close(CLOSE_REFUSED_UPDATE, exc.reason)
                return
            except DocumentFull:
                conn.close(CLOSE_DOCUMENT_FULL, "document full")
                return
            except StoreUnavailable:
                conn.close(CLOSE_TRY_AGAIN, "not stored, try again")
                return
            except BaseException as exc:
                if not is_crdt_error(exc):
                    raise
                # Never expected: every update is tried on the shadow first.
                log.error("an update of %s failed outside the shadow: %r", room.doc_id, exc)
                conn.close(CLOSE_INTERNAL)
                return

    # -- rooms ------------------------------------------------------------------------------

    def _lock_for(self, doc_id: str) -> asyncio.Lock:
        lock = self._locks.get(doc_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[doc_id] = lock
        return lock

    async def _acquire(self, doc_id: str) -> Room:
        """The open room of a document, loading it once; the caller must ``_release`` it."""
        lock = self._lock_for(doc_id)
        async with lock:
            room = self.rooms.get(doc_id)
            if room is not None and room.broken:
                await room.settled()
                room.close()
                del self.rooms[doc_id]
                room = None
            if room is None:
                # Updates from other nodes that arrive while we read the store are kept and
                # applied after (applying an update twice is harmless).
                self._loading[doc_id] = []
                try:
                    section = await anyio.to_thread.run_sync(self.policy.section_of, doc_id)
                    loaded = await self.store.load(doc_id)
                finally:
                    buffered = self._loading.pop(doc_id)
                if section is None:
                    raise LookupError(f"document {doc_id} does not exist")
                # Built in a worker thread: indexing a large document's content takes a while
                # and must not hold up the other rooms.
                room = await anyio.to_thread.run_sync(
                    partial(
                        Room,
                        doc_id,
                        loaded,
                        store=self.store,
                        publish=self._publish,
                        section=section,
                        limits=RoomLimits(max_document_bytes=self.limits.max_document_bytes),
                    )
                )
                for update in buffered:
                    room.apply_remote(update)
                self.rooms[doc_id] = room
            room.holds += 1
            if room.unload_task is not None:
                room.unload_task.cancel()
                room.unload_task = None
            return room

    def _release(self, room: Room) -> None:
        room.holds -= 1
        if room.holds == 0 and not self._stopping and self.rooms.get(room.doc_id) is room:
            room.unload_task = self._spawn(self._unload_later(room))

    async def _unload_later(self, room: Room) -> None:
        await asyncio.sleep(self.config.unload_after_seconds)
        async with self._lock_for(room.doc_id):
            if room.holds > 0 or self.rooms.get(room.doc_id) is not room:
                return
            room.unload_task = None
            await room.settled()
            del self.rooms[room.doc_id]
            room.close()
        if self.on_unloaded is not None and room.changed:
            # An editing session ended (the last person left a while ago).
            self._spawn(self.on_unloaded(room.doc_id))

    # -- server-side changes ----------------------------------------------------------------

    async def apply_server_update(
        self, doc_id: str, update: bytes, *, author_user_id: int | None
    ) -> None:
        """Apply a change made by the server (e.g. restoring a version) as a new forward
        change: stored first, then sent to every live connection and other node."""
        room = await self._acquire(doc_id)
        try:
            await room.apply_server_update(update, author_user_id=author_user_id)
        finally:
            self._release(room)

    async def current_state(self, doc_id: str) -> bytes:
        """The document's whole state as one update, all of it stored."""
        room = self.rooms.get(doc_id)
        if room is not None and not room.broken:
            state = room.doc.get_update()
            await room.settled()
            return state
        return (await self.store.load(doc_id)).state

    def announce(
        self, doc_id: str, notice: dict[str, Any], *, seconds: float = NOTICE_SECONDS
    ) -> None:
        """Show a notice to everyone who has the document open, on every node, for ``seconds``
        (e.g. who restored what). It travels as presence of the server itself: a state
        ``{"notice": notice, "user": {"name": "eenplan", "role": "server"}}`` under a client id
        of its own, which editors show as a message, not as a person. Call it on the loop."""
        client_id = secrets.randbelow(2**31 - 1) + 1
        state = {"notice": notice, "user": {"name": "eenplan", "role": SERVER_ROLE}}
        self._show_server_presence(doc_id, AwarenessEntry(client_id, 1, state))
        asyncio.get_running_loop().call_later(
            seconds, self._show_server_presence, doc_id, AwarenessEntry(client_id, 2, None)
        )

    def _show_server_presence(self, doc_id: str, entry: AwarenessEntry) -> None:
        room = self.rooms.get(doc_id)
        if room is not None and not room.broken:
            room.show_server_presence([entry])
        self.pubsub.publish("awareness", doc_id, b"|" + encode_awareness_update([entry]))

    # -- access changes ---------------------------------------------------------------------

    def access_changed(self, case_id: str) -> None:
        """Someone's access to a case changed (the services committed it). Called from a worker
        thread (a request), it waits until this node's live connections of the case follow the
        change, so the request answers only after that; other nodes hear of it too."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if threading.get_ident() == self._loop_thread:
            # On the loop itself there is nothing to wait in; it runs as soon as we return.
            self._spawn(self._access_changed(case_id, local=True))
            return
        done = asyncio.run_coroutine_threadsafe(self._access_changed(case_id, local=True), loop)
        try:
            done.result(timeout=ACCESS_WAIT_SECONDS)
        except Exception:
            log.exception("live connections of case %s did not follow an access change", case_id)

    async def _access_changed(self, case_id: str, *, local: bool) -> None:
        self._access_epoch += 1
        if local:
            self.pubsub.publish("access", case_id)
        await self._recheck_now(lambda conn: conn.identity.case_id == case_id)

    async def _recheck_now(self, affects: Callable[[Connection], bool]) -> None:
        """Check the rights of the live connections ``affects`` picks again; their writes
        wait until it is decided."""
        affected = [
            conn for room in self.rooms.values() for conn in room.connections if affects(conn)
        ]
        if not affected:
            return
        for conn in affected:
            conn.hold_writes()
        try:
            await self._recheck(affected)
        finally:
            for conn in affected:
                conn.release_writes()

    def _recheck_soon(self, affects: Callable[[Connection], bool]) -> None:
        """``_recheck_now`` in the background."""
        self._spawn(self._recheck_now(affects))

    async def _recheck(self, connections: list[Connection]) -> None:
        decisions = await anyio.to_thread.run_sync(self._current_access, connections)
        for conn, decision in decisions:
            if isinstance(decision, int):
                conn.close(decision, "no access" if decision == CLOSE_FORBIDDEN else "signed out")
            else:
                # The role may have changed too (the field rules follow the role).
                conn.identity = decision.identity
                conn.access = decision.access

    def _current_access(
        self, connections: list[Connection]
    ) -> list[tuple[Connection, Admitted | int]]:
        decisions = self.policy.recheck([(conn.identity, conn.doc_id) for conn in connections])
        return list(zip(connections, decisions, strict=True))

    # -- other nodes ------------------------------------------------------------------------

    def _after_gap(self) -> None:
        """Events from other nodes may have been missed: check every live connection's rights
        again and bring every open document up to what is stored."""
        self._access_epoch += 1
        self._recheck_soon(lambda _conn: True)
        for room in list(self.rooms.values()):
            self._spawn(self._catch_up(room))

    async def _catch_up(self, room: Room) -> None:
        loaded = await self.store.load(room.doc_id)
        if self.rooms.get(room.doc_id) is room and not room.broken:
            # Applying what the room has already changes nothing; the rest is relayed.
            room.apply_remote(loaded.state)

    def _publish(self, kind: EventKind, key: str, payload: bytes) -> None:
        self.pubsub.publish(kind, key, payload)

    def _on_remote_event(self, event: Event) -> None:
        if event.kind == "access":
            self._spawn(self._access_changed(event.key, local=False))
            return
        if event.kind == "update" and event.key in self._loading:
            self._loading[event.key].append(event.payload)
            return
        room = self.rooms.get(event.key)
        if room is None or room.broken:
            return
        if event.kind == "update":
            room.apply_remote(event.payload)
        else:
            room.apply_remote_awareness(event.payload)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
