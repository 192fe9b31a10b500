"""Restoring a version: its content comes back as a new forward change of every document it
froze. History is never rewritten, and people editing at that moment see the change arrive
like any other (``app/crdt/restore.py`` computes the change)."""

from __future__ import annotations

from dataclasses import dataclass

import anyio
from sqlmodel import Session

from app.crdt.restore import restore_update
from app.models import Participant, Role, User
from app.services import versions
from app.services.documents import section_key
from app.services.live_documents import LiveDocuments
from app.services.membership import require_aanspreekpunt


def may_restore(participant: Participant) -> bool:
    """Only the vast aanspreekpunt restores a version."""
    return participant.role == Role.aanspreekpunt


@dataclass(frozen=True)
class _Target:
    document_id: str
    section: str
    state: bytes  # as frozen in the version


async def restore_version(
    session: Session, *, actor: User, case_id: str, number: int, live: LiveDocuments
) -> int:
    """Write the content of version ``number`` back into the documents of the case, as a new
    change by ``actor`` (only the aanspreekpunt). Returns how many documents changed.

    The database is read in a worker thread; each document's change is computed against its
    live state and applied through ``live``, which stores it before anyone sees it.
    """
    targets = await anyio.to_thread.run_sync(
        lambda: _targets(session, actor=actor, case_id=case_id, number=number)
    )
    restored = 0
    for target in targets:
        current = await live.current_state(target.document_id)
        update = restore_update(target.section, current=current, target=target.state)
        if update:
            await live.apply_server_update(target.document_id, update, author_user_id=actor.id)
            restored += 1
    return restored


def _targets(session: Session, *, actor: User, case_id: str, number: int) -> list[_Target]:
    require_aanspreekpunt(session, user=actor, case_id=case_id)
    version = versions.get_version(session, case_id=case_id, number=number)
    frozen = versions.version_documents(session, version=version)
    return [
        _Target(document.id, section_key(document), frozen[document.id].state)
        for document in versions.case_documents(session, case_id=case_id)
        if document.id in frozen
    ]
