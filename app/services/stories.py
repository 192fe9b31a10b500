"""Own stories belong to their owner: who reads one, and whether the aanspreekpunt may write
in it on the owner's behalf, is the owner's choice. ``documents.access_for`` applies the
choice; this module changes it and shows the owner what others wrote in their story.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from app.models import (
    Case,
    Document,
    DocumentUpdate,
    Participant,
    Role,
    Section,
    StoryReaders,
    today,
)
from app.models import User as UserModel
from app.services import audit, documents, update_log
from app.services.access_bus import AccessBus
from app.services.ages import age_on
from app.services.errors import Forbidden, InvalidInput, NotFound
from app.services.field_changes import FieldChange, changed_fields
from app.services.membership import Member, active_members, participant_names

READER_LABELS = {
    StoryReaders.professionals: "Alleen de hulpverleners",
    StoryReaders.default: "De hulpverleners en het gezin",
    StoryReaders.everyone: "Iedereen die meedoet",
}
HELPER_MIN_AGE = 12


@dataclass(frozen=True)
class ReaderChoice:
    value: StoryReaders
    label: str
    readers: list[str]  # names of who could read the story with this choice, besides the owner


@dataclass(frozen=True)
class StoryChoices:
    """An owner's story and the choices about it."""

    case: Case
    document: Document
    owner: Participant
    choices: list[ReaderChoice]
    helpers: list[str]  # names of the aanspreekpunt(en), who may write on the owner's behalf
    may_turn_off_helper: bool

    @property
    def readers(self) -> StoryReaders:
        return StoryReaders(self.document.story_readers)


def may_turn_off_helper(owner: Participant, case: Case) -> bool:
    """A youth decides this from 12 on; grown-ups always do."""
    if owner.role != Role.jongere:
        return True
    return age_on(case.youth_birth_date, today()) >= HELPER_MIN_AGE


def _own_story(session: Session, *, user: UserModel, case_id: str, doc_id: str) -> Document:
    access = documents.document_access(session, user=user, doc_id=doc_id)
    document = access.document
    if document.case_id != case_id or document.section != Section.verhaal:
        raise NotFound()
    if document.owner_participant_id != access.participant.id:
        raise Forbidden("Alleen wie het verhaal schrijft, kiest wie het mag lezen.")
    return document


def _readers_with(members: list[Member], document: Document, value: StoryReaders) -> list[str]:
    probe = Document(
        id=document.id,
        case_id=document.case_id,
        section=Section.verhaal,
        owner_participant_id=document.owner_participant_id,
        story_readers=value,
    )
    return [
        m.user.name
        for m in members
        if m.participant.id != document.owner_participant_id
        and documents.access_for(m.participant, probe) is not None
    ]


def story_choices(session: Session, *, user: UserModel, case_id: str, doc_id: str) -> StoryChoices:
    """The owner's own story with its choices (Forbidden for anyone but the owner)."""
    document = _own_story(session, user=user, case_id=case_id, doc_id=doc_id)
    case = session.get(Case, case_id)
    owner = session.get(Participant, document.owner_participant_id)
    if case is None or owner is None:
        raise NotFound()
    members = active_members(session, case_id=case_id)
    choices = [
        ReaderChoice(value, READER_LABELS[value], _readers_with(members, document, value))
        for value in StoryReaders
    ]
    helpers = [m.user.name for m in members if m.participant.role == Role.aanspreekpunt]
    return StoryChoices(case, document, owner, choices, helpers, may_turn_off_helper(owner, case))


def set_story_choices(
    session: Session,
    *,
    user: UserModel,
    case_id: str,
    doc_id: str,
    readers: str,
    helper_writes: bool,
    bus: AccessBus,
) -> Document:
    """The owner chooses who reads their story and whether the aanspreekpunt may write in it
    (a youth under 12 cannot turn that off). Commits, logs it, then publishes the case on
    ``bus``: whoever loses access has their open story closed at once."""
    current = story_choices(session, user=user, case_id=case_id, doc_id=doc_id)
    try:
        chosen = StoryReaders(readers)
    except ValueError:
        raise InvalidInput(
            "Kies wie je verhaal mag lezen.",
            field_errors={"readers": "Kies wie je verhaal mag lezen."},
        ) from None
    document = current.document
    document.story_readers = chosen
    document.helper_writes = helper_writes if current.may_turn_off_helper else True
    session.add(document)
    helper = "mag voor de schrijver schrijven" if document.helper_writes else "leest alleen"
    audit.add_for_participant(
        session,
        participant=current.owner,
        user=user,
        action=audit.Action.story_access_changed,
        subject=f"document:{document.section}:{document.id}",
        detail=f"Eigen verhaal: {READER_LABELS[chosen].lower()} mag het lezen; het vaste "
        f"aanspreekpunt {helper}.",
    )
    session.commit()
    bus.publish(case_id)
    return document


@dataclass(frozen=True)
class WrittenForYou:
    """What others (the aanspreekpunt) wrote in someone's own story, for its owner."""

    writers: list[str]
    fields: list[FieldChange]
    last_at: datetime | None


def written_for_owner(
    session: Session, *, access: documents.DocumentAccess
) -> WrittenForYou | None:
    """For the owner looking at their own story: which of its fields someone else wrote in,
    who, and when last. None when nobody else wrote in it (or it is not the reader's story)."""
    document = access.document
    if (
        document.section != Section.verhaal
        or document.owner_participant_id != access.participant.id
    ):
        return None
    owner_user = access.participant.user_id
    others = session.exec(
        select(func.max(DocumentUpdate.created_at)).where(
            DocumentUpdate.document_id == document.id,
            col(DocumentUpdate.author_user_id).is_not(None),
            DocumentUpdate.author_user_id != owner_user,
        )
    ).one()
    if others is None:
        return None
    updates = update_log.updates_between(session, document_id=document.id, after_update_id=0)
    author_ids = {u.author_user_id for u in updates if u.author_user_id not in (None, owner_user)}
    names = {
        u.id: u.name
        for u in session.exec(select(UserModel).where(col(UserModel.id).in_(author_ids))).all()
        if u.id is not None
    }
    fields = changed_fields(
        access.section_name,
        base=b"",
        updates=updates,
        names=participant_names(session, case_id=document.case_id),
        author_names=names,
        leave_out_user=owner_user,
    )
    return WrittenForYou(sorted(names.values()), fields, others)
