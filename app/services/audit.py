"""The access log of a case (NEN 7513 style): append-only and chained by hash.

Every entry says who (user, name, role, organisation), on which case, what, when and on which
ground. Each entry's hash is HMAC-SHA256, keyed with a key derived from
``EENPLAN_SECRET_KEY``, of the previous entry's hash plus the entry's canonical content, so
``verify_chain`` notices a changed or a deleted entry, and someone who can write to the
database but does not know the secret cannot rebuild the chain. The key comes from the
process's configuration (``get_settings``), the same that migration 0008 and
``eenplan verify-log`` use. After a change of the secret, the earlier values in
``EENPLAN_PREVIOUS_SECRET_KEYS`` (newest first) keep the older entries verifiable: each entry
must verify under the key of its time, and never under a key older than the entry before it,
so an earlier key cannot add entries after a newer one. Without them every chain made under
an earlier secret fails to verify.
Entries are numbered per case (``seq``); taking a lock on the case row first keeps two writers
from forking the chain.

Services call ``add`` inside their own transaction (the event and its log entry commit
together); routes call ``record``, which commits.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.models import AuditEntry, Case, Participant, User, utcnow
from app.security import derive_key
from app.services.membership import find_active_participant
from app.settings import get_settings

GENESIS_HASH = "0" * 64
CHAIN_KEY_PURPOSE = "audit-log-chain"


class Action(enum.StrEnum):
    case_viewed = "case_viewed"
    document_opened = "document_opened"
    print = "print"
    export = "export"
    share_created = "share_created"
    share_viewed = "share_viewed"
    share_revoked = "share_revoked"
    consent_given = "consent_given"
    consent_withdrawn = "consent_withdrawn"
    consent_passed_over = "consent_passed_over"
    participant_changed = "participant_changed"
    access_without_consent = "access_without_consent"
    version_created = "version_created"
    chain_reanchored = "chain_reanchored"
    story_access_changed = "story_access_changed"


# Plain Dutch for the family's page: "<name> <sentence>".
ACTION_SENTENCES: dict[str, str] = {
    Action.case_viewed: "heeft het plan bekeken",
    Action.document_opened: "heeft een stuk geopend",
    Action.print: "heeft het plan afgedrukt",
    Action.export: "heeft het plan gedownload",
    Action.share_created: "heeft een link gemaakt om te delen",
    Action.share_viewed: "heeft het plan bekeken via een gedeelde link",
    Action.share_revoked: "heeft een gedeelde link stopgezet",
    Action.consent_given: "heeft toestemming gegeven",
    Action.consent_withdrawn: "heeft toestemming ingetrokken",
    Action.consent_passed_over: "heeft een ouder overgeslagen bij de toestemming",
    Action.participant_changed: "heeft een deelnemer gewijzigd",
    Action.access_without_consent: "heeft gedeeld zonder toestemming",
    Action.version_created: "heeft een versie vastgesteld",
    Action.chain_reanchored: "heeft het logboek opnieuw verankerd met de geheime sleutel",
    Action.story_access_changed: "heeft gekozen wie het eigen verhaal mag lezen",
}

ACTION_LABELS: dict[str, str] = {
    Action.case_viewed: "Plan bekeken",
    Action.document_opened: "Stuk geopend",
    Action.print: "Afgedrukt",
    Action.export: "Gedownload",
    Action.share_created: "Link gemaakt",
    Action.share_viewed: "Link bekeken",
    Action.share_revoked: "Link stopgezet",
    Action.consent_given: "Toestemming gegeven",
    Action.consent_withdrawn: "Toestemming ingetrokken",
    Action.consent_passed_over: "Ouder overgeslagen",
    Action.participant_changed: "Deelnemer gewijzigd",
    Action.access_without_consent: "Gedeeld zonder toestemming",
    Action.version_created: "Versie vastgesteld",
    Action.chain_reanchored: "Keten opnieuw verankerd",
    Action.story_access_changed: "Keuze eigen verhaal",
}

VIEW_ACTIONS = frozenset(
    {Action.case_viewed, Action.document_opened, Action.print, Action.export, Action.share_viewed}
)


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_content(entry: AuditEntry) -> str:
    """The fields that the hash protects, as canonical JSON (sorted keys, no spaces)."""
    return json.dumps(
        {
            "case_id": entry.case_id,
            "seq": entry.seq,
            "occurred_at": _moment(entry.occurred_at),
            "user_id": entry.user_id,
            "actor_name": entry.actor_name,
            "actor_role": entry.actor_role,
            "actor_organisation": entry.actor_organisation,
            "action": entry.action,
            "subject": entry.subject,
            "ground": entry.ground,
            "detail": entry.detail,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


@lru_cache(maxsize=4)
def _key_for(secret: str) -> bytes:
    return derive_key(secret, CHAIN_KEY_PURPOSE)


def chain_key() -> bytes:
    """The HMAC key of the chain, derived from ``EENPLAN_SECRET_KEY``."""
    return _key_for(get_settings().secret_key)


def entry_hash(prev_hash: str, entry: AuditEntry, *, key: bytes | None = None) -> str:
    """HMAC-SHA256 over the previous hash and the entry's canonical content."""
    message = (prev_hash + canonical_content(entry)).encode()
    return hmac.new(key or chain_key(), message, hashlib.sha256).hexdigest()


def lock_case(session: Session, case_id: str) -> None:
    """Serialise appends per case: a no-op UPDATE takes the row lock on PostgreSQL and the
    write lock on SQLite before the last entry is read (the access log's chain, and the
    versioned consent lines, which must never fork)."""
    session.execute(update(Case).where(col(Case.id) == case_id).values(id=Case.id))


def add(
    session: Session,
    *,
    case_id: str,
    action: Action | str,
    actor_name: str,
    actor_role: str,
    user_id: int | None = None,
    actor_organisation: str | None = None,
    subject: str | None = None,
    ground: str | None = None,
    detail: str = "",
) -> AuditEntry:
    """Append an entry to the case's chain in the current transaction (the caller commits)."""
    lock_case(session, case_id)
    last = session.exec(
        select(AuditEntry)
        .where(AuditEntry.case_id == case_id)
        .order_by(col(AuditEntry.seq).desc())
        .limit(1)
    ).first()
    entry = AuditEntry(
        case_id=case_id,
        seq=(last.seq + 1) if last else 1,
        occurred_at=utcnow(),
        user_id=user_id,
        actor_name=actor_name[:120],
        actor_role=actor_role,
        actor_organisation=actor_organisation,
        action=str(action),
        subject=subject,
        ground=ground,
        detail=detail,
        prev_hash=last.entry_hash if last else GENESIS_HASH,
        entry_hash="",
    )
    entry.entry_hash = entry_hash(entry.prev_hash, entry)
    session.add(entry)
    session.execute(update(Case).where(col(Case.id) == case_id).values(audit_seq=entry.seq))
    session.flush()
    return entry


def add_for_participant(
    session: Session,
    *,
    participant: Participant,
    user: User,
    action: Action | str,
    subject: str | None = None,
    ground: str | None = None,
    detail: str = "",
) -> AuditEntry:
    """``add`` with who-fields taken from a participant of the case (the caller commits)."""
    return add(
        session,
        case_id=participant.case_id,
        action=action,
        actor_name=user.name,
        actor_role=str(participant.role),
        user_id=user.id,
        actor_organisation=participant.organisation,
        subject=subject,
        ground=ground,
        detail=detail,
    )


def record(
    session: Session,
    *,
    case_id: str,
    user: User,
    action: Action | str,
    subject: str | None = None,
    ground: str | None = None,
    detail: str = "",
) -> AuditEntry:
    """Log what a signed-in participant did in a case, and commit. For routes, e.g.
    ``audit.record(session, case_id=case_id, user=user, action=audit.Action.case_viewed)``."""
    participant = find_active_participant(session, user_id=user.id, case_id=case_id)  # type: ignore[arg-type]
    if participant is None:
        entry = add(
            session,
            case_id=case_id,
            action=action,
            actor_name=user.name,
            actor_role="onbekend",
            user_id=user.id,
            subject=subject,
            ground=ground,
            detail=detail,
        )
    else:
        entry = add_for_participant(
            session,
            participant=participant,
            user=user,
            action=action,
            subject=subject,
            ground=ground,
            detail=detail,
        )
    session.commit()
    return entry


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    checked: int
    problem: str | None = None
    broken_at_seq: int | None = None


def _key_used(previous: str, entry: AuditEntry, keys: list[bytes]) -> int | None:
    """The index of the newest key under which the entry's hash is right, if any."""
    for index, key in enumerate(keys):
        if hmac.compare_digest(entry_hash(previous, entry, key=key), entry.entry_hash):
            return index
    return None


def verify_chain(session: Session, *, case_id: str) -> ChainCheck:
    """Recompute the chain of a case: finds a changed entry (hash mismatch), a deleted entry
    (a gap in ``seq`` or a ``prev_hash`` that does not match) and removed newest entries (the
    case row keeps the number of the newest entry, ``Case.audit_seq``). Someone who can rewrite
    the whole database can rewrite all of these; ``head`` gives an anchor to keep elsewhere."""
    entries = session.exec(
        select(AuditEntry).where(AuditEntry.case_id == case_id).order_by(col(AuditEntry.seq))
    ).all()
    keys = [_key_for(secret) for secret in get_settings().secret_keys]
    oldest_allowed = len(keys) - 1  # keys: the current first, then earlier ones, newest first
    previous = GENESIS_HASH
    for expected_seq, entry in enumerate(entries, start=1):
        if entry.seq != expected_seq:
            return ChainCheck(
                False, expected_seq - 1, "Er ontbreekt een regel in het logboek.", expected_seq
            )
        if entry.prev_hash != previous:
            return ChainCheck(
                False, expected_seq - 1, "Er ontbreekt een regel in het logboek.", entry.seq
            )
        used = _key_used(previous, entry, keys[: oldest_allowed + 1])
        if used is None:
            return ChainCheck(
                False, expected_seq - 1, "Een regel in het logboek is veranderd.", entry.seq
            )
        oldest_allowed = used  # after a change of key, never an entry under an older key
        previous = entry.entry_hash
    case = session.get(Case, case_id)
    if case is not None and case.audit_seq > len(entries):
        return ChainCheck(
            False, len(entries), "De laatste regels van het logboek ontbreken.", len(entries) + 1
        )
    return ChainCheck(True, len(entries))


def all_cases(session: Session) -> list[tuple[str, str]]:
    """(id, label) of every case, for ``eenplan verify-log``."""
    rows = session.exec(select(Case.id, Case.label).order_by(col(Case.created_at))).all()
    return [(case_id, label) for case_id, label in rows]


def head(session: Session, *, case_id: str) -> tuple[int, str]:
    """(last seq, last hash) of a case: an anchor to keep outside the database, so that
    removing the newest entries is noticed too."""
    last = session.exec(
        select(AuditEntry)
        .where(AuditEntry.case_id == case_id)
        .order_by(col(AuditEntry.seq).desc())
        .limit(1)
    ).first()
    return (last.seq, last.entry_hash) if last else (0, GENESIS_HASH)


def entries(
    session: Session,
    *,
    case_id: str,
    actions: Sequence[str] | None = None,
    user_id: int | None = None,
    actor_name: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 500,
) -> list[AuditEntry]:
    """Entries of a case, newest first, optionally filtered."""
    query = select(AuditEntry).where(AuditEntry.case_id == case_id)
    if actions:
        query = query.where(col(AuditEntry.action).in_(list(actions)))
    if user_id is not None:
        query = query.where(AuditEntry.user_id == user_id)
    if actor_name:
        query = query.where(AuditEntry.actor_name == actor_name)
    if since is not None:
        query = query.where(AuditEntry.occurred_at >= datetime.combine(since, time.min, UTC))
    if until is not None:
        query = query.where(AuditEntry.occurred_at <= datetime.combine(until, time.max, UTC))
    return list(session.exec(query.order_by(col(AuditEntry.seq).desc()).limit(limit)).all())


def actors(session: Session, *, case_id: str) -> list[str]:
    """Distinct names in the log of a case (for the filter)."""
    names = session.exec(
        select(AuditEntry.actor_name).where(AuditEntry.case_id == case_id).distinct()
    ).all()
    return sorted(names)
