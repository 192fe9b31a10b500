"""Automatic versions of documents ("automatisch bewaard"), so work is never lost.

A checkpoint is stored after each editing session (the room unloads after the last person
left), during long sessions (``app/live.py`` asks every few minutes for the rooms that
changed) and always just before a restore changes a document. It is a pointer into the
append-only update log, so it costs one small row; none is stored when nothing changed since
the previous one. Per document that is at most one per session, one per interval of a long
session and one per restore: a busy day of two hours' writing in five documents makes a few
dozen rows of about a hundred bytes.

People browse them like the version history (who changed what since the checkpoint before)
and restore them (``services/restore.py``) as a new forward change.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.crdt.schema import section_title
from app.dutch import dutch_date, dutch_time
from app.models import CheckpointReason, Document, DocumentCheckpoint, User
from app.services import documents, membership, update_log, versions
from app.services.errors import NotFound
from app.services.field_changes import FieldChange, changed_fields

REASON_LABELS = {
    CheckpointReason.session_end: "Na het schrijven",
    CheckpointReason.periodic: "Tijdens het schrijven",
    CheckpointReason.before_restore: "Vlak voor het terugzetten",
}

# The versions page and API list at most this many automatic versions (the newest).
LIST_LIMIT = 200


def path_of(checkpoint: DocumentCheckpoint) -> str:
    """The page of a checkpoint (the link in the notice after a restore)."""
    return f"/cases/{checkpoint.case_id}/versies/auto/{checkpoint.id}"


def name_of(checkpoint: DocumentCheckpoint, *, with_date: bool = True) -> str:
    """'de automatische versie van 3 december 2026, 14:32' (or 'van 14:32', for a notice
    about something that just happened), as a person reads it."""
    when = dutch_time(checkpoint.created_at)
    if with_date:
        when = f"{dutch_date(checkpoint.created_at)}, {when}"
    return f"de automatische versie van {when}"


def newest_checkpoint(session: Session, *, document_id: str) -> DocumentCheckpoint | None:
    return session.exec(
        select(DocumentCheckpoint)
        .where(DocumentCheckpoint.document_id == document_id)
        .order_by(col(DocumentCheckpoint.upto_update_id).desc(), col(DocumentCheckpoint.id).desc())
        .limit(1)
    ).first()


def save_if_changed(
    session: Session, *, document_id: str, reason: CheckpointReason
) -> DocumentCheckpoint | None:
    """Store a checkpoint of the document as it is now, unless nothing was written since the
    newest checkpoint (then None)."""
    document = session.get(Document, document_id)
    if document is None:
        return None
    newest = update_log.newest_update_id(session, document_id=document_id)
    last = newest_checkpoint(session, document_id=document_id)
    if newest == 0 or (last is not None and last.upto_update_id >= newest):
        return None
    checkpoint = DocumentCheckpoint(
        case_id=document.case_id, document_id=document_id, upto_update_id=newest, reason=reason
    )
    session.add(checkpoint)
    session.commit()
    session.refresh(checkpoint)
    return checkpoint


def save_before_restore(
    session: Session, *, document_id: str, actor: User, note: str
) -> DocumentCheckpoint:
    """Always store the document's present state, just before a restore by ``actor`` of
    ``note`` ('versie 1') changes it."""
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound()
    checkpoint = DocumentCheckpoint(
        case_id=document.case_id,
        document_id=document_id,
        upto_update_id=update_log.newest_update_id(session, document_id=document_id),
        reason=CheckpointReason.before_restore,
        made_by_user_id=actor.id,
        note=note[:200],
    )
    session.add(checkpoint)
    session.commit()
    session.refresh(checkpoint)
    return checkpoint


def state_of(session: Session, checkpoint: DocumentCheckpoint) -> bytes:
    """The document's whole state as the checkpoint kept it."""
    return update_log.state_at(
        session, document_id=checkpoint.document_id, upto_update_id=checkpoint.upto_update_id
    )


def _previous(session: Session, checkpoint: DocumentCheckpoint) -> DocumentCheckpoint | None:
    return session.exec(
        select(DocumentCheckpoint)
        .where(
            DocumentCheckpoint.document_id == checkpoint.document_id,
            col(DocumentCheckpoint.id) < checkpoint.id,
        )
        .order_by(col(DocumentCheckpoint.id).desc())
        .limit(1)
    ).first()


@dataclass(frozen=True)
class CheckpointLine:
    """One checkpoint as the history lists it."""

    checkpoint: DocumentCheckpoint
    access: documents.DocumentAccess
    title: str
    authors: list[str]  # who wrote in the document since the checkpoint before
    made_by: str  # who restored (before_restore only), else ''

    @property
    def reason_label(self) -> str:
        return REASON_LABELS[CheckpointReason(self.checkpoint.reason)]

    @property
    def path(self) -> str:
        return path_of(self.checkpoint)


def _title(access: documents.DocumentAccess, names: dict[int, str]) -> str:
    owner = access.document.owner_participant_id
    if owner is not None and owner == access.participant.id:
        return "Mijn verhaal"
    return section_title(access.section_name, owner_name=names.get(owner or 0))


def _line(
    session: Session,
    checkpoint: DocumentCheckpoint,
    access: documents.DocumentAccess,
    names: dict[int, str],
) -> CheckpointLine:
    previous = _previous(session, checkpoint)
    authors = versions.authors_between(
        session,
        document_id=checkpoint.document_id,
        after_update_id=previous.upto_update_id if previous else 0,
        upto_update_id=checkpoint.upto_update_id,
    )
    maker = session.get(User, checkpoint.made_by_user_id) if checkpoint.made_by_user_id else None
    return CheckpointLine(
        checkpoint, access, _title(access, names), authors, maker.name if maker else ""
    )


def checkpoints_for_user(session: Session, *, user: User, case_id: str) -> list[CheckpointLine]:
    """The newest checkpoints of the documents ``user`` may read, newest first."""
    readable = {
        a.document.id: a for a in documents.documents_for_user(session, user=user, case_id=case_id)
    }
    if not readable:
        return []
    rows = session.exec(
        select(DocumentCheckpoint)
        .where(
            DocumentCheckpoint.case_id == case_id,
            col(DocumentCheckpoint.document_id).in_(list(readable)),
        )
        .order_by(col(DocumentCheckpoint.id).desc())
        .limit(LIST_LIMIT)
    ).all()
    names = membership.participant_names(session, case_id=case_id)
    return [_line(session, row, readable[row.document_id], names) for row in rows]


@dataclass(frozen=True)
class CheckpointView:
    """One checkpoint with what changed in it (since the one before) and who changed what."""

    line: CheckpointLine
    state: bytes
    changes: list[FieldChange]


def get_checkpoint(
    session: Session, *, user: User, case_id: str, checkpoint_id: int
) -> CheckpointLine:
    """A checkpoint of a document ``user`` may read; NotFound otherwise."""
    checkpoint = session.get(DocumentCheckpoint, checkpoint_id)
    if checkpoint is None or checkpoint.case_id != case_id:
        raise NotFound("Deze automatische versie bestaat niet.")
    try:
        access = documents.document_access(session, user=user, doc_id=checkpoint.document_id)
    except NotFound:
        raise NotFound("Deze automatische versie bestaat niet.") from None
    names = membership.participant_names(session, case_id=case_id)
    return _line(session, checkpoint, access, names)


def checkpoint_view(
    session: Session, *, user: User, case_id: str, checkpoint_id: int
) -> CheckpointView:
    """A checkpoint with its content and what changed since the checkpoint before, by whom."""
    line = get_checkpoint(session, user=user, case_id=case_id, checkpoint_id=checkpoint_id)
    checkpoint = line.checkpoint
    previous = _previous(session, checkpoint)
    after = previous.upto_update_id if previous else 0
    updates = update_log.updates_between(
        session,
        document_id=checkpoint.document_id,
        after_update_id=after,
        upto_update_id=checkpoint.upto_update_id,
    )
    names = membership.participant_names(session, case_id=case_id)
    author_ids = {u.author_user_id for u in updates if u.author_user_id is not None}
    author_names = {
        u.id: u.name
        for u in session.exec(select(User).where(col(User.id).in_(author_ids))).all()
        if u.id is not None
    }
    changes = changed_fields(
        line.access.section_name,
        base=update_log.state_at(session, document_id=checkpoint.document_id, upto_update_id=after),
        updates=updates,
        names=names,
        author_names=author_names,
    )
    return CheckpointView(line, state_of(session, checkpoint), changes)
