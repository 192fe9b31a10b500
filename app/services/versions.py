"""Vaststellen: adopting a named version of all documents of a case, the hash chain that
guards them, and each participant's answer (akkoord / akkoord met opmerking / niet akkoord).

Everyone in the case sees that a version exists and who adopted it when; what it says (the
decisions and the remarks given with the answers) only whoever may read the plan at that
moment. ``view_of`` and ``views_for`` are the only way a version leaves this module for a
reader, so pages, print, PDF and API follow the same rule.

Document states come from the caller (the room server knows the live state); this module
only decides and stores.
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from app.models import (
    Approval,
    Case,
    Document,
    DocumentUpdate,
    Participant,
    Role,
    User,
    Version,
    VersionDocument,
    today,
    utcnow,
)
from app.services import audit, documents, evaluations, notifications
from app.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.services.mail_texts import MailKind, notice_line
from app.services.membership import (
    Member,
    active_members,
    active_participant,
    require_aanspreekpunt,
)
from app.settings import Settings

GENESIS_HASH = "0" * 64

ALREADY_ADOPTED = "Er is net al een versie vastgesteld. Kijk bij de versies."
CONTENT_NOT_SHARED = (
    "De inhoud van deze versie is niet met jou gedeeld. Je ziet niet wat er is besloten en "
    "welke opmerkingen anderen gaven. Je ziet wel dat de versie er is en wanneer hij is "
    "vastgesteld."
)


class Decision(enum.StrEnum):
    akkoord = "akkoord"
    akkoord_met_opmerking = "akkoord_met_opmerking"
    niet_akkoord = "niet_akkoord"


DECISION_LABELS = {
    Decision.akkoord: "Akkoord",
    Decision.akkoord_met_opmerking: "Akkoord met opmerking",
    Decision.niet_akkoord: "Niet akkoord",
}


MEETING_AHEAD_DAYS = 366


def _parse_date(value: str, field: str, errors: dict[str, str], label: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = f"Vul {label} in als dag, maand en jaar."
        return None


def state_hash(state: bytes) -> str:
    return hashlib.sha256(state).hexdigest()


def content_hash(version: Version, documents: list[VersionDocument]) -> str:
    """sha256 over the version's metadata, the previous hash and every document state hash."""
    canonical = json.dumps(
        {
            "case_id": version.case_id,
            "number": version.number,
            "title": version.title,
            "meeting_date": version.meeting_date.isoformat() if version.meeting_date else None,
            "decisions": version.decisions,
            "next_evaluation_date": (
                version.next_evaluation_date.isoformat() if version.next_evaluation_date else None
            ),
            "adopted_by_id": version.adopted_by_id,
            "adopted_at": version.adopted_at.isoformat(timespec="microseconds"),
            "previous_hash": version.previous_hash,
            "documents": sorted([d.document_id, state_hash(d.state)] for d in documents),
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def case_documents(session: Session, *, case_id: str) -> list[Document]:
    """Every document of the case, oldest first."""
    return list(
        session.exec(
            select(Document).where(Document.case_id == case_id).order_by(col(Document.created_at))
        ).all()
    )


def documents_to_freeze(session: Session, *, actor: User, case_id: str) -> list[str]:
    """The ids of the documents a new version freezes: all of the case's (only the
    aanspreekpunt adopts, so anyone else gets Forbidden before any state is read)."""
    require_aanspreekpunt(session, user=actor, case_id=case_id)
    return [document.id for document in case_documents(session, case_id=case_id)]


def _newest_update_id(session: Session, document_id: str) -> int:
    value = session.exec(
        select(func.max(DocumentUpdate.id)).where(DocumentUpdate.document_id == document_id)
    ).one()
    return int(value or 0)


def adopt(
    session: Session,
    *,
    actor: User,
    case_id: str,
    title: str,
    meeting_date: str = "",
    decisions: str = "",
    next_evaluation_date: str = "",
    states: dict[str, bytes],
    settings: Settings,
    adopted_at: datetime | None = None,
) -> Version:
    """Freeze a named version of every document of the case (only the aanspreekpunt), and
    tell everyone else in the case that it waits for their akkoord (as each chose).

    ``states`` maps each document id to its whole state as one CRDT update; ``adopted_at``
    is now, except for a demo that tells a history.
    """
    require_aanspreekpunt(session, user=actor, case_id=case_id)
    errors: dict[str, str] = {}
    title = title.strip()
    if not title:
        errors["title"] = "Geef de versie een naam, bijvoorbeeld 'Zorgoverleg 12 maart'."
    elif len(title) > 200:
        errors["title"] = "De naam mag hoogstens 200 tekens lang zijn."
    meeting = _parse_date(meeting_date, "meeting_date", errors, "de datum van het zorgoverleg")
    evaluation = _parse_date(
        next_evaluation_date, "next_evaluation_date", errors, "de datum van de volgende evaluatie"
    )
    day = (adopted_at or utcnow()).date()
    if evaluation is not None and evaluation < day:
        errors["next_evaluation_date"] = (
            "Die datum is al voorbij. Kies een dag na vandaag voor de volgende evaluatie."
        )
    elif evaluation is not None and meeting is not None and evaluation <= meeting:
        errors["next_evaluation_date"] = (
            "De volgende evaluatie komt na het zorgoverleg. Kies een latere datum."
        )
    if meeting is not None and (meeting - day).days > MEETING_AHEAD_DAYS:
        errors["meeting_date"] = "Die datum ligt meer dan een jaar vooruit. Klopt het jaar?"
    if len(decisions) > 20000:
        errors["decisions"] = "De besluiten zijn te lang (hoogstens 20.000 tekens)."
    if errors:
        raise InvalidInput("Controleer de velden hieronder.", field_errors=errors)
    previous = latest_version(session, case_id=case_id)
    if evaluation is None and not next_evaluation_date.strip():
        evaluation = carried_evaluation_date(previous)
    version = Version(
        case_id=case_id,
        number=(previous.number + 1) if previous else 1,
        title=title,
        meeting_date=meeting,
        decisions=decisions.strip(),
        next_evaluation_date=evaluation,
        adopted_by_id=actor.id,  # type: ignore[arg-type]
        adopted_at=adopted_at or utcnow(),
        previous_hash=previous.content_hash if previous else GENESIS_HASH,
        content_hash="",
    )
    session.add(version)
    try:
        session.flush()
        _freeze(session, version=version, states=states)
        evaluations.close_open_round(session, case_id=case_id, version=version)
        audit.add_for_participant(
            session,
            participant=active_participant(session, user=actor, case_id=case_id),
            user=actor,
            action=audit.Action.version_created,
            subject=f"versie {version.number}",
            detail=title,
        )
        _ask_for_akkoord(session, actor=actor, version=version, settings=settings)
        session.commit()
    except IntegrityError:  # someone adopted this number at the same moment (unique number)
        session.rollback()
        raise Conflict(ALREADY_ADOPTED) from None
    session.refresh(version)
    return version


def _freeze(session: Session, *, version: Version, states: dict[str, bytes]) -> None:
    """Store what ``version`` freezes of every document of the case, and its content hash."""
    frozen = []
    for document in case_documents(session, case_id=version.case_id):
        state = states.get(document.id, b"")
        row = VersionDocument(
            version_id=version.id,  # type: ignore[arg-type]
            document_id=document.id,
            upto_update_id=_newest_update_id(session, document.id),
            state=state,
            state_hash=state_hash(state),
        )
        session.add(row)
        frozen.append(row)
    version.content_hash = content_hash(version, frozen)
    session.add(version)


def carried_evaluation_date(previous: Version | None) -> date | None:
    """The next evaluation date a new version keeps when it is left empty: the one planned in
    the version before, while it is still to come (a date that passed was the evaluation this
    meeting probably is). Decisions and the meeting date never carry over: they belong to one
    meeting."""
    if previous is None or previous.next_evaluation_date is None:
        return None
    return previous.next_evaluation_date if previous.next_evaluation_date >= today() else None


NOT_ASKED = "Je wordt niet om akkoord gevraagd: de inhoud van het plan is niet met jou gedeeld."


def asked_for_akkoord(session: Session, *, case_id: str) -> list[Member]:
    """Who is asked for their akkoord on a version: everyone in the case who may read the
    plan now (an akkoord on what you cannot read means nothing)."""
    return [
        member
        for member in active_members(session, case_id=case_id)
        if documents.may_read_plan(session, participant=member.participant)
    ]


def _ask_for_akkoord(
    session: Session, *, actor: User, version: Version, settings: Settings
) -> None:
    case = session.get(Case, version.case_id)
    assert case is not None
    notifications.notify_all_but(
        session,
        users=[member.user for member in asked_for_akkoord(session, case_id=version.case_id)],
        actor=actor,
        kind=MailKind.akkoord,
        line=notice_line(MailKind.akkoord, family=case.label),
        path=f"/cases/{version.case_id}/versies/{version.number}",
        settings=settings,
        case_id=version.case_id,
    )


def latest_version(session: Session, *, case_id: str) -> Version | None:
    return session.exec(
        select(Version).where(Version.case_id == case_id).order_by(col(Version.number).desc())
    ).first()


def list_versions(session: Session, *, case_id: str) -> list[Version]:
    return list(
        session.exec(
            select(Version).where(Version.case_id == case_id).order_by(col(Version.number).desc())
        ).all()
    )


def get_version(session: Session, *, case_id: str, number: int) -> Version:
    version = session.exec(
        select(Version).where(Version.case_id == case_id, Version.number == number)
    ).first()
    if version is None:
        raise NotFound("Deze versie bestaat niet.")
    return version


def version_documents(session: Session, *, version: Version) -> dict[str, VersionDocument]:
    """Document id → what the version froze of it."""
    rows = session.exec(
        select(VersionDocument).where(VersionDocument.version_id == version.id)
    ).all()
    return {row.document_id: row for row in rows}


def frozen_states(session: Session, *, version: Version) -> dict[str, bytes]:
    """Document id → its whole state as the version froze it."""
    return {d: row.state for d, row in version_documents(session, version=version).items()}


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    broken_at: int | None = None
    reason: str = ""


def verify_chain(session: Session, *, case_id: str) -> ChainReport:
    """Recompute every version's hash and its link to the one before; report the first break."""
    expected_previous = GENESIS_HASH
    expected_number = 1
    for version in sorted(list_versions(session, case_id=case_id), key=lambda v: v.number):
        if version.number != expected_number:
            return ChainReport(False, version.number, "er ontbreekt een versie")
        if version.previous_hash != expected_previous:
            return ChainReport(False, version.number, "de link naar de vorige versie klopt niet")
        documents = list(version_documents(session, version=version).values())
        for row in documents:
            if state_hash(row.state) != row.state_hash:
                return ChainReport(False, version.number, "de inhoud van een stuk is veranderd")
        if content_hash(version, documents) != version.content_hash:
            return ChainReport(False, version.number, "de versie is veranderd")
        expected_previous = version.content_hash
        expected_number += 1
    return ChainReport(True)


# --- approvals -------------------------------------------------------------------------------


def record_approval(
    session: Session, *, actor: User, case_id: str, number: int, decision: str, remark: str
) -> Approval:
    """A participant's own answer on a version; a new answer replaces the old one in view."""
    participant = active_participant(session, user=actor, case_id=case_id)
    version = get_version(session, case_id=case_id, number=number)
    if not documents.may_read_plan(session, participant=participant):
        raise Forbidden(NOT_ASKED)
    try:
        parsed = Decision(decision)
    except ValueError:
        raise InvalidInput(
            "Controleer de velden hieronder.", field_errors={"decision": "Kies je antwoord."}
        ) from None
    remark = remark.strip()
    if parsed != Decision.akkoord and not remark:
        raise InvalidInput(
            "Controleer de velden hieronder.",
            field_errors={
                "remark": "Schrijf kort op wat je opmerking is of waarom je het niet eens bent."
            },
        )
    if len(remark) > 5000:
        raise InvalidInput(
            "Controleer de velden hieronder.",
            field_errors={"remark": "Je opmerking is te lang (hoogstens 5.000 tekens)."},
        )
    approval = Approval(
        version_id=version.id,  # type: ignore[arg-type]
        participant_id=participant.id,  # type: ignore[arg-type]
        decision=parsed,
        remark=remark,
    )
    session.add(approval)
    session.commit()
    session.refresh(approval)
    return approval


@dataclass(frozen=True)
class ApprovalLine:
    """One participant's newest answer on a version, as one reader may see it."""

    participant: Participant
    user: User
    decision: Decision | None  # None: no answer yet
    remark: str | None  # None: not shared with the reader

    @property
    def answered(self) -> bool:
        return self.decision is not None

    @property
    def label(self) -> str:
        if self.decision is None:
            return "Nog geen antwoord"
        return DECISION_LABELS[self.decision]


@dataclass(frozen=True)
class VersionView:
    """One adopted version as one reader may see it.

    Everyone in the case sees that it exists: its number, title, the meeting and the next
    evaluation date, who adopted it and when, its hash, and who answered what. Its content
    is only for whoever may read the plan now (``documents.may_read_plan``): for anyone else
    ``decisions`` is None, and so is every remark but their own (``content_shared`` False).
    """

    number: int
    title: str
    meeting_date: date | None
    next_evaluation_date: date | None
    adopted_at: datetime
    adopted_by_id: int
    adopted_by: str
    content_hash: str
    previous_hash: str
    content_shared: bool
    decisions: str | None
    approvals: list[ApprovalLine]

    @property
    def not_shared_note(self) -> str:
        """The line that tells a reader the content is not shared with them ("" when it is)."""
        return "" if self.content_shared else CONTENT_NOT_SHARED


def view_of(session: Session, *, version: Version, reader: Participant) -> VersionView:
    """``version`` as ``reader`` (a participant of its case) may see it."""
    shared = documents.may_read_plan(session, participant=reader)
    return _view(session, version, reader=reader, shared=shared)


def views_for(session: Session, *, user: User, case_id: str) -> list[VersionView]:
    """Every adopted version of the case, newest first, as ``user`` may see it (404 for
    strangers)."""
    reader = active_participant(session, user=user, case_id=case_id)
    shared = documents.may_read_plan(session, participant=reader)
    return [
        _view(session, version, reader=reader, shared=shared)
        for version in list_versions(session, case_id=case_id)
    ]


def _view(session: Session, version: Version, *, reader: Participant, shared: bool) -> VersionView:
    adopter = session.get(User, version.adopted_by_id)
    return VersionView(
        number=version.number,
        title=version.title,
        meeting_date=version.meeting_date,
        next_evaluation_date=version.next_evaluation_date,
        adopted_at=version.adopted_at,
        adopted_by_id=version.adopted_by_id,
        adopted_by=adopter.name if adopter else "onbekend",
        content_hash=version.content_hash,
        previous_hash=version.previous_hash,
        content_shared=shared,
        decisions=version.decisions if shared else None,
        approvals=[
            ApprovalLine(
                participant,
                user,
                Decision(approval.decision) if approval else None,
                (approval.remark if approval else "")
                if shared or participant.id == reader.id
                else None,
            )
            for participant, user, approval in _newest_answers(session, version=version)
        ],
    )


def _newest_answers(
    session: Session, *, version: Version
) -> list[tuple[Participant, User, Approval | None]]:
    """For each participant asked now (``asked_for_akkoord``), and each who answered: their
    newest answer."""
    rows = session.exec(
        select(Approval).where(Approval.version_id == version.id).order_by(col(Approval.id))
    ).all()
    newest: dict[int, Approval] = {}
    for row in rows:
        newest[row.participant_id] = row
    lines: list[tuple[Participant, User, Approval | None]] = []
    for member in asked_for_akkoord(session, case_id=version.case_id):
        pid = member.participant.id
        lines.append((member.participant, member.user, newest.pop(pid, None)))  # type: ignore[arg-type]
    for pid, approval in newest.items():
        former = session.get(Participant, pid)
        user = session.get(User, former.user_id) if former else None
        if former is not None and user is not None:
            lines.append((former, user, approval))
    return lines


def can_adopt(participant: Participant) -> bool:
    """Only the vast aanspreekpunt adopts a version."""
    return participant.role == Role.aanspreekpunt


def authors_between(
    session: Session, *, document_id: str, after_update_id: int, upto_update_id: int | None
) -> list[str]:
    """Names of everyone whose edits to a document were logged in (after, upto]."""
    query = (
        select(User.name)
        .join(DocumentUpdate, col(DocumentUpdate.author_user_id) == User.id)
        .where(DocumentUpdate.document_id == document_id, DocumentUpdate.id > after_update_id)  # type: ignore[operator]
        .distinct()
    )
    if upto_update_id is not None:
        query = query.where(DocumentUpdate.id <= upto_update_id)  # type: ignore[operator]
    return sorted(session.exec(query).all())
