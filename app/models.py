"""Tables of eenplan and the shapes that cross the API.

One family per table: only the table class has ``table=True``. The schema itself is made by
Alembic migrations (``migrations/``); ``tests/test_migrations.py`` checks both agree.
"""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime

from sqlalchemy import Column, LargeBinary, String, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class Role(enum.StrEnum):
    jongere = "jongere"
    ouder = "ouder"
    aanspreekpunt = "aanspreekpunt"
    specialist = "specialist"
    netwerk = "netwerk"


PROFESSIONAL_ROLES = frozenset({Role.aanspreekpunt, Role.specialist})


class Section(enum.StrEnum):
    analyse = "analyse"
    veiligheid = "veiligheid"
    plan = "plan"
    perspectief = "perspectief"
    verhaal = "verhaal"


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)
    name: str = Field(max_length=120)
    password_hash: str = Field(max_length=255)
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class UserSession(SQLModel, table=True):
    """A sign-in. The cookie holds a random token; only its hash is stored."""

    __tablename__ = "user_sessions"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    ended_at: datetime | None = None


class LoginAttempt(SQLModel, table=True):
    """A failed sign-in, counted per e-mail address and per IP (kept in the database so that
    every node sees the same count)."""

    __tablename__ = "login_attempts"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=400, index=True)
    attempted_at: datetime = Field(default_factory=utcnow, index=True)


class Case(SQLModel, table=True):
    __tablename__ = "cases"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    label: str = Field(max_length=120)
    youth_birth_date: date
    created_by_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)


class Participant(SQLModel, table=True):
    """A person's place in a case. Removal sets ``active_to``; the row stays for the log."""

    __tablename__ = "participants"

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="cases.id", index=True, max_length=32)
    user_id: int = Field(foreign_key="users.id", index=True)
    role: Role = Field(sa_type=String(20))
    gezag: bool = False
    organisation: str | None = Field(default=None, max_length=120)
    safety_closed: bool = Field(
        default=False, description="The aanspreekpunt closed veiligheid for this person."
    )
    active_from: datetime = Field(default_factory=utcnow)
    active_to: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.active_to is None or self.active_to > utcnow()


class Invitation(SQLModel, table=True):
    """A single-use, expiring invitation. The link holds a random token; only its hash is kept."""

    __tablename__ = "invitations"

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="cases.id", index=True, max_length=32)
    email: str = Field(max_length=320)
    role: Role = Field(sa_type=String(20))
    gezag: bool = False
    organisation: str | None = Field(default=None, max_length=120)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_by_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    accepted_at: datetime | None = None
    accepted_by_id: int | None = Field(default=None, foreign_key="users.id")
    revoked_at: datetime | None = None


class OutboxMessage(SQLModel, table=True):
    """Mail eenplan would send. There is no mail server: the aanspreekpunt copies the link."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    case_id: str | None = Field(default=None, foreign_key="cases.id", max_length=32)
    to_email: str = Field(max_length=320)
    subject: str = Field(max_length=200)
    body: str
    created_at: datetime = Field(default_factory=utcnow)


class Document(SQLModel, table=True):
    """One CRDT document of a case. ``owner_participant_id`` is set for ``verhaal`` only."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("case_id", "section", "owner_participant_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    case_id: str = Field(foreign_key="cases.id", index=True, max_length=32)
    section: Section = Field(sa_type=String(20))
    owner_participant_id: int | None = Field(default=None, foreign_key="participants.id")
    created_at: datetime = Field(default_factory=utcnow)


class DocumentUpdate(SQLModel, table=True):
    """Append-only log: one row per committed CRDT update, stored before it is relayed."""

    __tablename__ = "document_updates"

    id: int | None = Field(default=None, primary_key=True)
    document_id: str = Field(foreign_key="documents.id", index=True, max_length=32)
    update: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    author_user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)


class DocumentSnapshot(SQLModel, table=True):
    """Compacted state of a document: every update with id <= ``upto_update_id`` merged."""

    __tablename__ = "document_snapshots"

    id: int | None = Field(default=None, primary_key=True)
    document_id: str = Field(foreign_key="documents.id", index=True, max_length=32)
    upto_update_id: int
    state: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


def today() -> date:
    return datetime.now(UTC).date()
