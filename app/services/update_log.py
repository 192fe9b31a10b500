"""Reading a document's append-only update log: the newest update, the state at any point of
its history, and who wrote each update after that point.

The log is never pruned (compaction only adds snapshots), so the state after any update id can
be read back: the newest snapshot at or below it, then the updates up to it. Automatic versions
and "nieuw sinds je laatste bezoek" are pointers into this log.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from app.crdt.store import merge_into_doc
from app.models import DocumentSnapshot, DocumentUpdate


@dataclass(frozen=True)
class LoggedUpdate:
    id: int
    author_user_id: int | None
    update: bytes


def newest_update_id(session: Session, *, document_id: str) -> int:
    """The id of the document's newest logged update (0 when nothing was written yet)."""
    value = session.exec(
        select(func.max(DocumentUpdate.id)).where(DocumentUpdate.document_id == document_id)
    ).one()
    return int(value or 0)


def state_at(session: Session, *, document_id: str, upto_update_id: int) -> bytes:
    """The document's whole state after update ``upto_update_id``, as one update."""
    if upto_update_id <= 0:
        return b""
    snapshot = session.exec(
        select(DocumentSnapshot)
        .where(
            DocumentSnapshot.document_id == document_id,
            col(DocumentSnapshot.upto_update_id) <= upto_update_id,
        )
        .order_by(col(DocumentSnapshot.upto_update_id).desc())
        .limit(1)
    ).first()
    after = snapshot.upto_update_id if snapshot else 0
    rows = session.exec(
        select(DocumentUpdate.update)
        .where(
            DocumentUpdate.document_id == document_id,
            col(DocumentUpdate.id) > after,
            col(DocumentUpdate.id) <= upto_update_id,
        )
        .order_by(col(DocumentUpdate.id))
    ).all()
    updates = ([snapshot.state] if snapshot else []) + list(rows)
    return merge_into_doc(updates).get_update() if updates else b""


def updates_between(
    session: Session, *, document_id: str, after_update_id: int, upto_update_id: int | None = None
) -> list[LoggedUpdate]:
    """Every update logged after ``after_update_id`` (up to ``upto_update_id``), oldest first."""
    query = select(DocumentUpdate.id, DocumentUpdate.author_user_id, DocumentUpdate.update).where(
        DocumentUpdate.document_id == document_id, col(DocumentUpdate.id) > after_update_id
    )
    if upto_update_id is not None:
        query = query.where(col(DocumentUpdate.id) <= upto_update_id)
    rows = session.exec(query.order_by(col(DocumentUpdate.id))).all()
    return [LoggedUpdate(int(i or 0), author, bytes(update)) for i, author, update in rows]
