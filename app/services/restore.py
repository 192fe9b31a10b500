"""Restoring a version or an automatic checkpoint: its content comes back as a new forward
change of every document it holds. History is never rewritten, people editing at that moment
see the change arrive like any other (``app/crdt/restore.py`` computes the change), and what
stood there before is first kept as an automatic checkpoint. Everyone who has a document open
is told who restored what and where the previous text is.

A restore only changes the documents the restorer may write in at that moment, checked per
document just before its change is applied: an own story whose owner turned off writing on
their behalf is left as it is, and the restorer is told so (``not_restored``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

import anyio
from sqlmodel import Session

from app.crdt.restore import restore_update
from app.crdt.schema import section_title
from app.models import Document, DocumentCheckpoint, Participant, Role, User
from app.services import checkpoints, membership, versions
from app.services.documents import DocumentAccess, document_access, section_key
from app.services.errors import Forbidden, NotFound
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


@dataclass(frozen=True)
class NotRestored:
    """A document a restore left as it was, because the restorer may not write in it."""

    document_id: str
    title: str  # e.g. 'Het verhaal van Sanne'
    owner_name: str | None  # whose own story it is; None for a shared document


@dataclass(frozen=True)
class Outcome:
    """What a restore changed, and what it left alone because it belongs to someone else."""

    restored: list[Restored]
    not_restored: list[str]  # document ids; ``not_restored_lines`` names them for a page


def notice_text(actor: User, what: str, before: DocumentCheckpoint) -> str:
    """The sentence everyone with the document open reads."""
    return (
        f"{actor.name} heeft {what} teruggezet. Wat er daarvoor stond, is te vinden in "
        f"{checkpoints.name_of(before, with_date=False)}."
    )


async def restore_version(
    session: Session, *, actor: User, case_id: str, number: int, live: LiveDocuments
) -> Outcome:
    """Write the content of version ``number`` back into the documents of the case that
    ``actor`` (only the aanspreekpunt) may write in, as a new change by ``actor``. Returns the
    documents that changed, and those left alone because ``actor`` may only read them (or not
    even that) while they differ from the version.

    The database is read in a worker thread; each document's change is computed against its
    live state and applied through ``live``, which stores it before anyone sees it.
    """
    targets = await anyio.to_thread.run_sync(
        lambda: _version_targets(session, actor=actor, case_id=case_id, number=number)
    )
    return await _restore(session, actor=actor, targets=targets, what=f"versie {number}", live=live)


async def restore_checkpoint(
    session: Session, *, actor: User, case_id: str, checkpoint_id: int, live: LiveDocuments
) -> Outcome:
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
) -> Outcome:
    restored = []
    not_restored = []
    for target in targets:
        # Checked again for every document, just before its change: the owner of a story may
        # have turned off writing on their behalf since the restore was asked for.
        access = await anyio.to_thread.run_sync(
            partial(_access_now, session, actor=actor, document_id=target.document_id)
        )
        if access is None:
            # Not even readable: whether it differs from the target is not theirs to learn.
            not_restored.append(target.document_id)
            continue
        current = await live.current_state(target.document_id)
        update = restore_update(target.section, current=current, target=target.state)
        if not update:
            continue
        if access.access != "edit":
            not_restored.append(target.document_id)
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
    return Outcome(restored, not_restored)


def _access_now(session: Session, *, actor: User, document_id: str) -> DocumentAccess | None:
    """The actor's access to the document as the database holds it now (the session may hold
    an older copy of the document's choices: it does not expire on commit)."""
    if session.get(Document, document_id, populate_existing=True) is None:
        return None
    try:
        return document_access(session, user=actor, doc_id=document_id)
    except NotFound:
        return None


def not_restored_lines(
    session: Session, *, user: User, case_id: str, document_ids: Iterable[str]
) -> list[NotRestored]:
    """The documents named after a restore (``niet=<id>,<id>``) that ``user`` may not write in,
    with their title and owner, to say why they were left as they were. Ids of other cases and
    documents ``user`` may write in are passed over, so a made-up link cannot claim more."""
    names = membership.participant_names(session, case_id=case_id)
    lines = []
    for document_id in dict.fromkeys(document_ids):
        document = session.get(Document, document_id)
        if document is None or document.case_id != case_id:
            continue
        access = _access_now(session, actor=user, document_id=document_id)
        if access is not None and access.access == "edit":
            continue
        owner = names.get(document.owner_participant_id or 0)
        title = section_title(section_key(document), owner_name=owner)
        lines.append(NotRestored(document_id, title, owner))
    return lines


def _version_targets(session: Session, *, actor: User, case_id: str, number: int) -> list[_Target]:
    """Every document the version froze; ``_restore`` decides per document whether ``actor``
    may change it."""
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
