"""Wiring of the sync engine into the app: the access policy built from the services, the store
and bus from the settings, and access changes from the services reaching live connections.

``app/crdt`` stands alone (it imports models and itself); this module is where it meets the
rest of eenplan.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.crdt.close_codes import CLOSE_FORBIDDEN, CLOSE_NOT_SIGNED_IN
from app.crdt.policy import Access, Admitted, Identity
from app.crdt.pubsub import PubSub, make_pubsub
from app.crdt.server import RoomConfig, RoomServer, ServerLimits
from app.crdt.store import SqlDocumentStore
from app.models import Document, User
from app.services.access_bus import AccessBus
from app.services.accounts import user_for_session_token
from app.services.documents import document_access
from app.services.errors import NotFound
from app.settings import Settings


class DatabaseAccessPolicy:
    """``AccessPolicy`` on the services' rules (``app/services/documents.py``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def admit(self, session_token: str | None, doc_id: str) -> Admitted | int:
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
            return Admitted(identity, access.access)

    def recheck(self, connections: Sequence[tuple[Identity, str]]) -> list[Access | None]:
        decisions: list[Access | None] = []
        with Session(self.engine) as session:
            for identity, doc_id in connections:
                user = session.get(User, identity.user_id)
                access: Access | None = None
                if user is not None and user.is_active:
                    try:
                        access = document_access(session, user=user, doc_id=doc_id).access
                    except NotFound:
                        access = None
                decisions.append(access)
        return decisions

    def section_of(self, doc_id: str) -> str | None:
        with Session(self.engine) as session:
            document = session.get(Document, doc_id)
            return str(document.section) if document is not None else None


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
        policy=DatabaseAccessPolicy(engine),
        store=SqlDocumentStore(engine, compact_after=config.compact_after),
        pubsub=pubsub or make_pubsub(settings.redis_url),
        limits=limits_from(settings),
        config=config,
    )
    bus.subscribe(rooms.access_changed)
    return rooms
