"""Wiring of the sync engine into the app: the access policy built from the services, the store
and bus from the settings, access changes from the services reaching live connections, and
automatic checkpoints of the documents people edit.

``app/crdt`` stands alone (it imports models and itself); this module is where it meets the
rest of eenplan.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

import anyio
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.crdt.close_codes import CLOSE_FORBIDDEN, CLOSE_NOT_SIGNED_IN
from app.crdt.policy import Admitted, Identity
from app.crdt.pubsub import PubSub, make_pubsub
from app.crdt.server import RoomConfig, RoomServer, ServerLimits
from app.crdt.store import SqlDocumentStore
from app.models import CheckpointReason, Document
from app.security import token_hash
from app.services import checkpoints
from app.services.access_bus import AccessBus
from app.services.accounts import user_for_live_sign_in
from app.services.documents import document_access
from app.services.errors import NotFound
from app.settings import Settings

log = logging.getLogger(__name__)

# While a document keeps changing, a checkpoint at most this often (besides the one at the end
# of each editing session).
CHECKPOINT_EVERY_SECONDS = 600.0


class DatabaseAccessPolicy:
    """``AccessPolicy`` on the services' rules (``app/services/documents.py``): a connection
    rides on one sign-in (``Identity.session_key``) and counts only while that sign-in does."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    def admit(self, session_token: str | None, doc_id: str) -> Admitted | int:
        if not session_token:
            return CLOSE_NOT_SIGNED_IN
        with Session(self.engine) as session:
            return self._decide(session, token_hash(session_token), doc_id)

    def recheck(self, connections: Sequence[tuple[Identity, str]]) -> list[Admitted | int]:
        with Session(self.engine) as session:
            return [
                self._decide(session, identity.session_key, doc_id)
                for identity, doc_id in connections
            ]

    def _decide(self, session: Session, key: str, doc_id: str) -> Admitted | int:
        user = user_for_live_sign_in(session, key=key, settings=self.settings)
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
            session_key=key,
        )
        return Admitted(identity, access.access)

    def section_of(self, doc_id: str) -> str | None:
        with Session(self.engine) as session:
            document = session.get(Document, doc_id)
            return str(document.section) if document is not None else None


class CheckpointKeeper:
    """Keeps automatic checkpoints of the documents this node's rooms edit: when an editing
    session ends (the room server's ``on_unloaded``), every ``every_seconds`` for the rooms
    that changed, and for those still open when the server stops. ``services/checkpoints.py``
    stores one only when something was written since the last."""

    def __init__(
        self, engine: Engine, rooms: RoomServer, *, every_seconds: float = CHECKPOINT_EVERY_SECONDS
    ) -> None:
        self.engine = engine
        self.rooms = rooms
        self.every_seconds = every_seconds
        self._task: asyncio.Task[None] | None = None

    async def session_ended(self, doc_id: str) -> None:
        await self._save(doc_id, CheckpointReason.session_end)

    async def save_changed_rooms(self, reason: CheckpointReason) -> None:
        """A checkpoint of every open document that was changed since it was loaded (and
        since its newest checkpoint)."""
        for doc_id, room in list(self.rooms.rooms.items()):
            if room.changed:
                await room.settled()  # what people typed until now is stored, so it counts
                await self._save(doc_id, reason)

    def start(self) -> None:
        self._task = asyncio.create_task(self._every_while())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.save_changed_rooms(CheckpointReason.session_end)

    async def _every_while(self) -> None:
        while True:
            await asyncio.sleep(self.every_seconds)
            await self.save_changed_rooms(CheckpointReason.periodic)

    async def _save(self, doc_id: str, reason: CheckpointReason) -> None:
        try:
            await anyio.to_thread.run_sync(self._save_sync, doc_id, reason)
        except Exception:  # a missed checkpoint must never take the sync server down
            log.exception("could not keep a checkpoint of document %s", doc_id)

    def _save_sync(self, doc_id: str, reason: CheckpointReason) -> None:
        with Session(self.engine) as session:
            checkpoints.save_if_changed(session, document_id=doc_id, reason=reason)


def limits_from(settings: Settings) -> ServerLimits:
    return ServerLimits(
        max_message_bytes=settings.max_message_bytes,
        max_connections_per_user=settings.max_connections_per_user,
        max_messages_per_second=settings.max_messages_per_second,
        max_awareness_bytes=settings.max_awareness_bytes,
        max_document_bytes=settings.max_document_bytes,
    )


def make_room_server(
    engine: Engine,
    settings: Settings,
    bus: AccessBus,
    *,
    pubsub: PubSub | None = None,
    config: RoomConfig | None = None,
) -> RoomServer:
    """The room server of this node, with every access change of the services reaching it."""
    config = config or RoomConfig()
    rooms = RoomServer(
        policy=DatabaseAccessPolicy(engine, settings),
        store=SqlDocumentStore(engine, compact_after=config.compact_after),
        pubsub=pubsub or make_pubsub(settings.redis_url),
        limits=limits_from(settings),
        config=config,
    )
    bus.subscribe(rooms.access_changed)
    return rooms


def keep_checkpoints(engine: Engine, rooms: RoomServer) -> CheckpointKeeper:
    """Automatic checkpoints for ``rooms``: at the end of every editing session at once, and,
    once ``start()``ed, during long ones."""
    keeper = CheckpointKeeper(engine, rooms)
    rooms.on_unloaded = keeper.session_ended
    return keeper
