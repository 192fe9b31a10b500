"""Restoring a version or an automatic checkpoint: its content comes back as a new forward
change of every document it holds. History is never rewritten, people editing at that moment
see the change arrive like any other (``app/crdt/restore.py`` computes the change), and what
stood there before is first kept as an automatic checkpoint. Everyone who has a document open
is told who restored what and where the previous text is."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import anyio
from sqlmodel import Session

from app.crdt.restore import restore_update
from app.models import DocumentCheckpoint, Participant, Role, User
from app.services import checkpoints, versions
from app.services.documents import document_access, section_key
from app.services.errors import Forbidden
from app.services.live_documents import LiveDocuments
from app.services.membership import require_aanspreekpunt


def may_restore(participant: Participant) -> bool:
    """Only the vast aanspreekpunt restores a version."""
    return participant.role == Role.aanspreekpunt


@dataclass(frozen=True)
class _Target:
    document_id: str
    section: str
    state: bytes  # the content to bring back


@dataclass(frozen=True)
class Restored:
    """One document a restore changed, and the checkpoint of what stood there before."""

    document_id: str
    before: DocumentCheckpoint


def notice_text(actor: User, what: str, before: DocumentCheckpoint) -> str:
    """The sentence everyone with the document open reads."""
    return (
        f"{actor.name} heeft {what} teruggezet. Wat er daarvoor stond, is te vinden in "
        f"{checkpoints.name_of(before, with_date=False)}."
    )


async def restore_version(
    session: Session, *, actor: User, case_id: str, number: int, live: LiveDocuments
) -> list[Restored]:
    """Write the content of version ``number`` back into the documents of the case, as a new
    change by ``actor`` (only the aanspreekpunt). Returns the documents that changed.

    The database is read in a worker thread; each document's change is computed against its
    live state and applied through ``live``, which stores it before anyone sees it.
    """
    targets = await anyio.to_thread.run_sync(
        lambda: _version_targets(session, actor=actor, case_id=case_id, number=number)
    )
    return await _restore(session, actor=actor, targets=targets, what=f"versie {number}", live=live)


async def restore_checkpoint(
    session: Session, *, actor: User, case_id: str, checkpoint_id: int, live: LiveDocuments
) -> list[Restored]:
    """Write the content of an automatic checkpoint back into its document, as a new change by
    ``actor`` (anyone who may edit that document)."""
    target, what = await anyio.to_thread.run_sync(
        lambda: _checkpoint_target(
            session, actor=actor, case_id=case_id, checkpoint_id=checkpoint_id
        )
    )
    return await _restore(session, actor=actor, targets=[target], what=what, live=live)


async def _restore(
    session: Session, *, actor: User, targets: list[_Target], what: str, live: LiveDocuments
) -> list[Restored]:
    restored = []
    for target in targets:
        current = await live.current_state(target.document_id)
        update = restore_update(target.section, current=current, target=target.state)
        if not update:
            continue
        # current_state has stored everything up to now: the checkpoint holds exactly that.
        before = await anyio.to_thread.run_sync(
            partial(
                checkpoints.save_before_restore,
                session,
                document_id=target.document_id,
                actor=actor,
                note=what,
            )
        )
        await live.apply_server_update(target.document_id, update, author_user_id=actor.id)
        live.announce(
            target.document_id,
            {
                "kind": "restore",
                "text": notice_text(actor, what, before),
                "link": checkpoints.path_of(before),
            },
        )
        restored.append(Restored(target.document_id, before))
    return restored


def _version_targets(session: Session, *, actor: User, case_id: str, number: int) -> list[_Target]:
    require_aanspreekpunt(session, user=actor, case_id=case_id)
    version = versions.get_version(session, case_id=case_id, number=number)
    frozen = versions.version_documents(session, version=version)
    return [
        _Target(document.id, section_key(document), frozen[document.id].state)
        for document in versions.case_documents(session, case_id=case_id)
        if document.id in frozen
    ]


def _checkpoint_target(
    session: Session, *, actor: User, case_id: str, checkpoint_id: int
) -> tuple[_Target, str]:
    line = checkpoints.get_checkpoint(
        session, user=actor, case_id=case_id, checkpoint_id=checkpoint_id
    )
    access = document_access(session, user=actor, doc_id=line.checkpoint.document_id)
    if access.access != "edit":
        raise Forbidden(
            "Je kunt dit stuk alleen lezen. Terugzetten kan alleen wie erin mag schrijven."
        )
    state = checkpoints.state_of(session, line.checkpoint)
    what = checkpoints.name_of(line.checkpoint, with_date=True)
    return _Target(access.document.id, access.section_name, state), what
