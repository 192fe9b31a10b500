"""Tables of eenplan, and the enums their columns hold.

No API shapes live here: the JSON of the API is defined next to its routes in ``app/web/``.
The schema itself is made by Alembic migrations (``migrations/``); ``tests/test_migrations.py``
checks both agree.
"""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
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
    is_professional: bool = Field(
        default=False,
        sa_column_kwargs={"server_default": "0"},
        description="Given by an administrator: may create cases.",
    )
    is_admin: bool = Field(
        default=False,
        sa_column_kwargs={"server_default": "0"},
        description="Organisation administrator: gives and takes the professional property.",
    )
    totp_secret_sealed: str | None = Field(
        default=None,
        max_length=200,
        description="The base32 TOTP secret, sealed (app.sealing); set at enrolment.",
    )
    totp_enabled_at: datetime | None = Field(
        default=None, description="When the first code confirmed the secret; None: no 2FA."
    )
    totp_last_step: int | None = Field(
        default=None,
        sa_type=BigInteger,
        description="Time step of the newest accepted code: a code is used only once.",
    )

    @property
    def uses_two_factor(self) -> bool:
        return self.totp_enabled_at is not None and self.totp_secret_sealed is not None


class AuthLevel(enum.StrEnum):
    """How a session was signed in."""

    password = "password"  # no second factor needed
    two_factor = "two_factor"  # password and a TOTP or recovery code
    enrolment = "enrolment"  # password only, must enrol in 2FA first: nothing else is open


class UserSession(SQLModel, table=True):
    """A sign-in. The cookie holds a random token; only its hash is stored."""

    __tablename__ = "user_sessions"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    ended_at: datetime | None = None
    auth_level: AuthLevel = Field(
        default=AuthLevel.password,
        sa_type=String(12),
        sa_column_kwargs={"server_default": "password"},
    )
    device: str = Field(
        default="",
        max_length=120,
        sa_column_kwargs={"server_default": ""},
        description="Browser and system, roughly, for the list of sessions.",
    )


class RecoveryCode(SQLModel, table=True):
    """A single-use code to sign in without the TOTP app; only its SHA-256 is stored."""

    __tablename__ = "recovery_codes"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    code_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    used_at: datetime | None = None


class LoginThrottle(SQLModel, table=True):
    """Counted sign-in tries per key (account, client address, account from an address, codes
    of an account). A try is counted here before the password is checked, with a
    compare-and-set on ``tries``, so parallel requests and several nodes share one count."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=400)
    tries: int = 0
    wait_until: datetime | None = None
    last_try_at: datetime = Field(default_factory=utcnow, index=True)


class Case(SQLModel, table=True):
    __tablename__ = "cases"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    label: str = Field(max_length=120)
    youth_birth_date: date
    created_by_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
    audit_seq: int = Field(
        default=0,
        sa_column_kwargs={"server_default": "0"},
        description="Number of the newest access-log entry: removing the newest entries shows.",
    )


# A place is active while ``active_to`` is NULL: removal sets it to the moment of removal.
ACTIVE_PLACE = "active_to IS NULL"


class Participant(SQLModel, table=True):
    """A person's place in a case. Removal sets ``active_to``; the row stays for the log.

    A person has at most one active place per case: the database refuses a second one (a
    partial unique index), so two requests at the same moment cannot both add them."""

    __tablename__ = "participants"
    __table_args__ = (
        Index(
            "uq_participants_one_active_place",
            "case_id",
            "user_id",
            unique=True,
            sqlite_where=text(ACTIVE_PLACE),
            postgresql_where=text(ACTIVE_PLACE),
        ),
    )

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


class MailStatus(enum.StrEnum):
    pending = "pending"  # waits for delivery (or for a mail server to be configured)
    sent = "sent"  # the mail server accepted it
    printed = "printed"  # development without a mail server: shown on the console
    failed = "failed"  # refused for good, or every retry failed
    kept = "kept"  # made before eenplan sent mail: stays for the aanspreekpunt, never sent


class OutboxMessage(SQLModel, table=True):
    """A mail eenplan sends: written here in the transaction of what caused it, delivered by
    ``app.mail_delivery`` (at least once, with retries and back-off, one node at a time)."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    case_id: str | None = Field(default=None, foreign_key="cases.id", max_length=32)
    to_email: str = Field(max_length=320)
    subject: str = Field(max_length=200)
    body: str
    created_at: datetime = Field(default_factory=utcnow)
    kind: str = Field(
        default="",
        max_length=20,
        sa_column_kwargs={"server_default": ""},
        description="What the mail is about (app.services.mail_texts.MailKind).",
    )
    user_id: int | None = Field(default=None, foreign_key="users.id")
    status: MailStatus = Field(
        default=MailStatus.pending,
        sa_type=String(10),
        sa_column_kwargs={"server_default": "pending"},
        index=True,
    )
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    next_attempt_at: datetime | None = Field(default=None, description="None: at once.")
    sent_at: datetime | None = None
    last_error: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})


class NotificationPreference(SQLModel, table=True):
    """How a person wants one kind of mail: at once, in the daily digest, or never. No row:
    at once."""

    __tablename__ = "notification_preferences"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    kind: str = Field(primary_key=True, max_length=20)
    choice: str = Field(max_length=10)


class DigestItem(SQLModel, table=True):
    """One line of someone's next daily digest (they chose 'once a day' for its kind)."""

    __tablename__ = "digest_items"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    case_id: str | None = Field(default=None, foreign_key="cases.id", max_length=32)
    kind: str = Field(max_length=20)
    line: str = Field(max_length=500)
    link: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    digest_id: int | None = Field(
        default=None, foreign_key="outbox.id", index=True, description="The digest that held it."
    )


class SentReminder(SQLModel, table=True):
    """A reminder that was made, by a key naming what and for whom
    (``evaluatie:<case>:<date>:<user>``): the unique key keeps it to once, also when a missed
    day is made up for."""

    __tablename__ = "sent_reminders"

    key: str = Field(primary_key=True, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class ScheduledRun(SQLModel, table=True):
    """The last day a scheduled job was done: it survives restarts, and a missed day is seen."""

    __tablename__ = "scheduled_runs"

    job: str = Field(primary_key=True, max_length=40)
    done_through: date
    finished_at: datetime = Field(default_factory=utcnow)


class PasswordReset(SQLModel, table=True):
    """A single-use link to choose a new password. The link holds a random token; only its
    hash is kept."""

    __tablename__ = "password_resets"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class StoryReaders(enum.StrEnum):
    """Who may read someone's own story (``verhaal``): its owner chooses."""

    professionals = "professionals"  # only the aanspreekpunt and the specialists
    default = "default"  # the professionals, the youth and the parents with gezag
    everyone = "everyone"  # everyone in the case, the network and parents without gezag too


class Document(SQLModel, table=True):
    """One CRDT document of a case. ``owner_participant_id`` is set for ``verhaal`` only, and
    so are the owner's choices ``story_readers`` and ``helper_writes``."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("case_id", "section", "owner_participant_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    case_id: str = Field(foreign_key="cases.id", index=True, max_length=32)
    section: Section = Field(sa_type=String(20))
    owner_participant_id: int | None = Field(default=None, foreign_key="participants.id")
    created_at: datetime = Field(default_factory=utcnow)
    story_readers: StoryReaders = Field(
        default=StoryReaders.default,
        sa_type=String(20),
        sa_column_kwargs={"server_default": "default"},
        description="Own story only: who may read it besides its owner.",
    )
    helper_writes: bool = Field(
        default=True,
        sa_column_kwargs={"server_default": "1"},
        description="Own story only: the aanspreekpunt may write in it on the owner's behalf "
        "(a youth of 12 or older may turn this off).",
    )


class DocumentUpdate(SQLModel, table=True):
    """Append-only log: one row per committed CRDT update, stored before it is relayed."""

    __tablename__ = "document_updates"

    id: int | None = Field(default=None, primary_key=True)
    document_id: str = Field(foreign_key="documents.id", index=True, max_length=32)
    update: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    author_user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)


class DocumentClient(SQLModel, table=True):
    """Which account a Yjs client id belongs to in a document: bound at its first use and
    never given to anyone else. ``user_id`` None: a client id of the server itself (repairs,
    restores). Written in the same transaction as the update that first used it."""

    __tablename__ = "document_clients"

    document_id: str = Field(foreign_key="documents.id", primary_key=True, max_length=32)
    client_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)


class CheckpointReason(enum.StrEnum):
    session_end = "session_end"  # the last person left after changing it
    periodic = "periodic"  # during a long editing session
    before_restore = "before_restore"  # the state just before a restore changed it


class DocumentCheckpoint(SQLModel, table=True):
    """An automatic version of one document: its state after update ``upto_update_id``.

    Only a pointer: the update log is append-only and never pruned, so the state is read back
    from it (the newest snapshot at or below ``upto_update_id`` and the updates up to it).
    """

    __tablename__ = "document_checkpoints"

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="cases.id", index=True, max_length=32)
    document_id: str = Field(foreign_key="documents.id", index=True, max_length=32)
    upto_update_id: int
    reason: CheckpointReason = Field(sa_type=String(20))
    made_by_user_id: int | None = Field(
        default=None, foreign_key="users.id", description="Who restored (before_restore only)."
    )
    note: str = Field(default="", max_length=200, description="What was restored, e.g. 'versie 1'.")
    created_at: datetime = Field(default_factory=utcnow)


class DocumentSeen(SQLModel, table=True):
    """What a person last saw of a document: the newest update when they last opened it."""

    __tablename__ = "document_seen"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    document_id: str = Field(foreign_key="documents.id", primary_key=True, max_length=32)
    upto_update_id: int = 0
    seen_at: datetime = Field(default_factory=utcnow)


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


class Consent(SQLModel, table=True):
    """One version of a consent record. Rows are never changed: a change is a new version.

    A *line* of versions is (case, audience, kind, granted_by, passed_over). ``kind`` is
    ``consent`` (a person decides for themself, ground ``toestemming``), ``pass_over`` (the
    aanspreekpunt records why a parent with gezag is passed over) or ``legal_ground`` (sharing
    without consent on a legal ground, with a motivation).
    """

    __tablename__ = "consents"

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="cases.id", index=True, max_length=32)
    subject_participant_id: int | None = Field(
        default=None, foreign_key="participants.id", description="The youth, when taking part."
    )
    kind: str = Field(max_length=20)
    audience: str = Field(max_length=20)
    version: int = 1
    previous_id: int | None = Field(default=None, foreign_key="consents.id")
    granted_by_participant_id: int = Field(foreign_key="participants.id")
    grantor_role: str = Field(max_length=20)
    grantor_gezag: bool = False
    age_band: str = Field(max_length=8, description="The youth's age band on the day.")
    passed_over_participant_id: int | None = Field(default=None, foreign_key="participants.id")
    scope: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    purpose: str = Field(max_length=500)
    valid_until: date | None = None
    ground: str = Field(max_length=30)
    motivation: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    status: str = Field(max_length=12)
    created_at: datetime = Field(default_factory=utcnow)
    withdrawn_at: datetime | None = None


class Share(SQLModel, table=True):
    """A read-only link for a third party (school, family and network). The link holds a token;
    only its hash is kept. ``scope`` lists the parts it shows."""

    __tablename__ = "shares"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    case_id: str = Field(foreign_key="cases.id", index=True, max_length=32)
    audience: str = Field(max_length=20)
    label: str = Field(max_length=120)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    ground: str = Field(max_length=30)
    legal_consent_id: int | None = Field(default=None, foreign_key="consents.id")
    created_by_participant_id: int = Field(foreign_key="participants.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None
    revoked_by_participant_id: int | None = Field(default=None, foreign_key="participants.id")
    scope: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False, server_default="[]"),
        description="Part codes the link shows (app.services.shares.PARTS); empty: the "
        "audience's default parts.",
    )


class AuditEntry(SQLModel, table=True):
    """Append-only access log (NEN 7513 style), chained per case by hash.

    ``entry_hash`` = sha256(``prev_hash`` + canonical content); ``seq`` counts per case, and
    the unique (case, seq) pair keeps two writers from forking the chain.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="cases.id", index=True, max_length=32)
    seq: int
    occurred_at: datetime = Field(default_factory=utcnow)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    actor_name: str = Field(max_length=120)
    actor_role: str = Field(max_length=20)
    actor_organisation: str | None = Field(default=None, max_length=120)
    action: str = Field(max_length=40)
    subject: str | None = Field(default=None, max_length=80)
    ground: str | None = Field(default=None, max_length=30)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(max_length=64)
    entry_hash: str = Field(max_length=64)


class Version(SQLModel, table=True):
    """A version of the whole plan adopted (vastgesteld) at a zorgoverleg. Never changed.

    ``content_hash`` covers the metadata and the hash of every document state, and includes
    ``previous_hash``: the versions of a case form a chain, so a changed snapshot is found.
    """

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("case_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="cases.id", index=True, max_length=32)
    number: int
    title: str = Field(max_length=200)
    meeting_date: date | None = None
    decisions: str = Field(default="", sa_column=Column(Text, nullable=False))
    next_evaluation_date: date | None = None
    adopted_by_id: int = Field(foreign_key="users.id")
    adopted_at: datetime = Field(default_factory=utcnow)
    previous_hash: str = Field(max_length=64)
    content_hash: str = Field(max_length=64)


class VersionDocument(SQLModel, table=True):
    """The frozen state of one document in a version (a CRDT update holding all of it)."""

    __tablename__ = "version_documents"

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="versions.id", index=True)
    document_id: str = Field(foreign_key="documents.id", max_length=32)
    upto_update_id: int = Field(default=0, description="Newest logged update at adoption.")
    state: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    state_hash: str = Field(max_length=64)


class Approval(SQLModel, table=True):
    """A participant's answer on a version: akkoord, akkoord met opmerking, niet akkoord.
    A new answer is a new row; the newest counts and the older ones stay as history."""

    __tablename__ = "approvals"

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="versions.id", index=True)
    participant_id: int = Field(foreign_key="participants.id")
    decision: str = Field(max_length=30)
    remark: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class EvaluationRound(SQLModel, table=True):
    """An evaluation round before a zorgoverleg: opened by the aanspreekpunt, closed when the
    next version is adopted (``version_id``). While it is open, ``open_for_case_id`` holds
    the case id; its unique constraint keeps a case at one open round, even when two people
    open one at the same moment (NULLs do not collide)."""

    __tablename__ = "evaluation_rounds"

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="cases.id", index=True, max_length=32)
    open_for_case_id: str | None = Field(default=None, max_length=32, unique=True)
    opened_by_participant_id: int = Field(foreign_key="participants.id")
    opened_at: datetime = Field(default_factory=utcnow)
    meeting_date: date | None = Field(default=None, description="The zorgoverleg it is for.")
    closed_at: datetime | None = None
    version_id: int | None = Field(default=None, foreign_key="versions.id")
    asked_participant_ids: list[int] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False),
        description="Who was asked, as the round closed (an open round asks who is in now).",
    )


class EvaluationAnswer(SQLModel, table=True):
    """One participant's own 0–10 score of a goal (``subject`` 'doel', key: the goal's id) or
    a Big Five domain ('domein', key: the domain) in a round. Rows are never changed: the
    newest per (participant, subject, key) counts; a None score takes an answer back."""

    __tablename__ = "evaluation_answers"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="evaluation_rounds.id", index=True)
    participant_id: int = Field(foreign_key="participants.id")
    subject: str = Field(max_length=10)
    subject_key: str = Field(max_length=64)
    score: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
