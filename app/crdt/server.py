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
import weakref
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import anyio
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.websockets import WebSocket

from app.crdt.connection import (
    CLOSE_FORBIDDEN,
    CLOSE_GOING_AWAY,
    CLOSE_INTERNAL,
    CLOSE_INVALID,
    CLOSE_NOT_SIGNED_IN,
    CLOSE_RESTART,
    CLOSE_TOO_BIG,
    CLOSE_UNSUPPORTED,
    DEFAULT_SEND_QUEUE,
    Access,
    Connection,
    Identity,
)
from app.crdt.protocol import ProtocolError, parse_message
from app.crdt.pubsub import Event, EventKind, PubSub, make_pubsub
from app.crdt.room import Room, is_crdt_error, is_panic
from app.crdt.store import DEFAULT_COMPACT_AFTER, DocumentStore, SqlDocumentStore
from app.models import Document, User
from app.services.access_bus import AccessBus
from app.services.accounts import user_for_session_token
from app.services.documents import document_access
from app.services.errors import NotFound
from app.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class RoomConfig:
    """Tunables of the room server (tests make them small)."""

    unload_after_seconds: float = 2.0
    compact_after: int = DEFAULT_COMPACT_AFTER
    send_queue_size: int = DEFAULT_SEND_QUEUE
    close_timeout_seconds: float = 5.0


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
        engine: Engine,
        settings: Settings,
        access_bus: AccessBus,
        store: DocumentStore | None = None,
        pubsub: PubSub | None = None,
        config: RoomConfig | None = None,
        section_of: Callable[[str], str | None] | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.access_bus = access_bus
        self.config = config or RoomConfig()
        self.store: DocumentStore = store or SqlDocumentStore(
            engine, compact_after=self.config.compact_after
        )
        self.pubsub: PubSub = pubsub or make_pubsub(settings.redis_url)
        # Which section a document is, for the field rules its room enforces.
        self.section_of = section_of or self._section_from_database
        self.rooms: dict[str, Room] = {}
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._loading: dict[str, list[bytes]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._access_epoch = 0
        self._stopping = False
        self._serving = 0
        self._idle = asyncio.Event()
        self._idle.set()

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Subscribe to access changes and to the other nodes."""
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        await self.pubsub.start(self._on_remote_event, on_gap=self._after_gap)
        self._unsubscribe = [self.access_bus.subscribe(self._on_access_published)]

    async def stop(self) -> None:
        """Close every connection (1001), store what is pending, stop the writer and pub/sub."""
        self._stopping = True
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
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
        with Session(self.engine) as session:
            user = user_for_session_token(session, session_token)
            if user is None:
                return CLOSE_NOT_SIGNED_IN
            try:
                access = document_access(session, user=user, doc_id=doc_id)
            except NotFound:
                return CLOSE_FORBIDDEN
            participant = access.participant
            identity = Identity(
                user_id=user.id,  # type: ignore[arg-type]
                name=user.name,
                role=str(participant.role),
                participant_id=participant.id,  # type: ignore[arg-type]
                case_id=access.document.case_id,
            )
            return Grant(doc_id, identity, access.access, epoch)

    async def serve(self, websocket: WebSocket, grant: Grant) -> None:
        """Run an accepted WebSocket in its document's room until either side closes."""
        self._serving += 1
        self._idle.clear()
        try:
            await self._serve(websocket, grant)
        finally:
            self._serving -= 1
            if self._serving == 0:
                self._idle.set()

    async def _serve(self, websocket: WebSocket, grant: Grant) -> None:
        conn = Connection(
            websocket,
            grant.doc_id,
            grant.identity,
            grant.access,
            queue_size=self.config.send_queue_size,
        )
        if self._stopping:
            conn.close(CLOSE_GOING_AWAY)
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
            done, _ = await asyncio.wait(
                {sender, receiver}, return_when=asyncio.FIRST_COMPLETED
            )
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
        limit = self.settings.max_message_bytes
        while not conn.is_closing:
            event = await conn.websocket.receive()
            if event["type"] == "websocket.disconnect":
                return
            data = event.get("bytes")
            if data is None:
                conn.close(CLOSE_UNSUPPORTED)  # y-websocket speaks binary only
                return
            if len(data) > limit:
                conn.close(CLOSE_TOO_BIG)
                return
            try:
                message = parse_message(data)
            except ProtocolError as exc:
                log.info("closing a connection that sent a malformed message: %s", exc)
                conn.close(CLOSE_INVALID)
                return
            try:
                await room.receive(conn, message)
            except BaseException as exc:
                if not is_crdt_error(exc):
                    raise
                if is_panic(exc):
                    log.error("pycrdt panicked on %s; reloading the room", room.doc_id)
                    conn.close(CLOSE_INTERNAL)
                    room.fail(CLOSE_RESTART)
                else:
                    log.info("closing a connection whose update did not apply: %r", exc)
                    conn.close(CLOSE_INVALID)
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
                    section = await anyio.to_thread.run_sync(self.section_of, doc_id)
                    loaded = await self.store.load(doc_id)
                finally:
                    buffered = self._loading.pop(doc_id)
                room = Room(
                    doc_id,
                    loaded.state,
                    store=self.store,
                    publish=self._publish,
                    section=section,
                )
                for update in buffered:
                    room.apply_remote(update)
                self.rooms[doc_id] = room
            room.holds += 1
            if room.unload_task is not None:
                room.unload_task.cancel()
                room.unload_task = None
            return room

    def _section_from_database(self, doc_id: str) -> str | None:
        with Session(self.engine) as session:
            document = session.get(Document, doc_id)
            return str(document.section) if document is not None else None

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

    # -- access changes ---------------------------------------------------------------------

    def _on_access_published(self, case_id: str) -> None:
        """AccessBus listener; called from worker threads."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._access_changed, case_id, True)

    def _access_changed(self, case_id: str, local: bool) -> None:
        self._access_epoch += 1
        if local:
            self.pubsub.publish("access", case_id)
        self._recheck_soon(lambda conn: conn.identity.case_id == case_id)

    def _recheck_soon(self, affects: Callable[[Connection], bool]) -> None:
        """Check the rights of the live connections ``affects`` picks again, in the background."""
        affected = [
            conn for room in self.rooms.values() for conn in room.connections if affects(conn)
        ]
        if affected:
            self._spawn(self._recheck(affected))

    async def _recheck(self, connections: list[Connection]) -> None:
        decisions = await anyio.to_thread.run_sync(self._current_access, connections)
        for conn, access in decisions:
            if access is None:
                conn.close(CLOSE_FORBIDDEN)
            else:
                conn.access = access

    def _current_access(
        self, connections: list[Connection]
    ) -> list[tuple[Connection, Access | None]]:
        decisions: list[tuple[Connection, Access | None]] = []
        with Session(self.engine) as session:
            for conn in connections:
                user = session.get(User, conn.identity.user_id)
                access: Access | None = None
                if user is not None and user.is_active:
                    try:
                        access = document_access(session, user=user, doc_id=conn.doc_id).access
                    except NotFound:
                        access = None
                decisions.append((conn, access))
        return decisions

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
            self._access_changed(event.key, False)
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
