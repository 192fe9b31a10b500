"""Nieuw sinds je laatste bezoek: what each person last saw of each document, and which
fields others changed since.

Opening a document (its page or its WebSocket) marks it as seen: the newest update in its log
at that moment is remembered. A document never opened counts as seen at its start, so
everything in it is new to that person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.crdt.schema import section_title
from app.models import DocumentSeen, User, utcnow
from app.services import documents, membership, update_log
from app.services.field_changes import FieldChange, changed_fields


@dataclass(frozen=True)
class DocumentNews:
    """What changed in one document since the reader last opened it."""

    access: documents.DocumentAccess
    title: str
    seen_at: datetime | None  # None: never opened
    fields: list[FieldChange]

    @property
    def first_visit(self) -> bool:
        return self.seen_at is None

    @property
    def authors(self) -> list[str]:
        return sorted({name for change in self.fields for name in change.by})

    def as_json(self) -> dict[str, Any]:
        return {
            "section": self.access.section_name,
            "doc_id": self.access.document.id,
            "title": self.title,
            "first_visit": self.first_visit,
            "seen_at": self.seen_at.isoformat() if self.seen_at else None,
            "fields": [
                {"path": c.path, "label": c.label, "kind": c.kind, "by": c.by} for c in self.fields
            ],
        }


def _seen(session: Session, *, user_id: int, document_id: str) -> DocumentSeen | None:
    return session.get(DocumentSeen, (user_id, document_id))


def _author_names(session: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = session.exec(select(User.id, User.name).where(col(User.id).in_(user_ids))).all()
    return {int(uid): name for uid, name in rows if uid is not None}


def document_news(
    session: Session,
    *,
    user: User,
    access: documents.DocumentAccess,
    names: dict[int, str],
    owner_names: dict[int, str],
) -> DocumentNews:
    """Which fields of one readable document others changed since ``user`` last opened it.
    ``names`` are the participants' names (for person fields), ``owner_names`` those of the
    owners of own stories (for titles)."""
    document = access.document
    seen = _seen(session, user_id=user.id, document_id=document.id)  # type: ignore[arg-type]
    after = seen.upto_update_id if seen else 0
    updates = update_log.updates_between(session, document_id=document.id, after_update_id=after)
    fields: list[FieldChange] = []
    if updates:
        authors = {u.author_user_id for u in updates if u.author_user_id is not None}
        fields = changed_fields(
            access.section_name,
            base=update_log.state_at(session, document_id=document.id, upto_update_id=after),
            updates=updates,
            names=names,
            author_names=_author_names(session, authors),
            leave_out_user=user.id,
        )
    owner = document.owner_participant_id
    if owner is not None and owner == access.participant.id:
        title = "Mijn verhaal"
    else:
        title = section_title(access.section_name, owner_name=owner_names.get(owner or 0))
    return DocumentNews(access, title, seen.seen_at if seen else None, fields)


def news_for_user(session: Session, *, user: User, case_id: str) -> list[DocumentNews]:
    """Per document ``user`` may read in the case (and only those): what others changed since
    they last opened it. NotFound for someone who is not in the case."""
    readable = documents.documents_for_user(session, user=user, case_id=case_id)
    names = membership.participant_names(session, case_id=case_id)
    return [
        document_news(session, user=user, access=access, names=names, owner_names=names)
        for access in readable
    ]


def mark_seen(session: Session, *, user_id: int, document_id: str) -> None:
    """Remember that ``user_id`` has now seen everything logged in the document."""
    newest = update_log.newest_update_id(session, document_id=document_id)
    for _attempt in range(2):
        seen = _seen(session, user_id=user_id, document_id=document_id)
        if seen is None:
            seen = DocumentSeen(user_id=user_id, document_id=document_id)
        seen.upto_update_id = max(seen.upto_update_id or 0, newest)
        seen.seen_at = utcnow()
        session.add(seen)
        try:
            session.commit()
            return
        except IntegrityError:  # opened in two tabs at once: the other request inserted first
            session.rollback()
