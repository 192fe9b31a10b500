"""The CRDT documents of a case and who may read or edit each one.

A CRDT sync sends a whole document, so access is decided per document: whatever a person may
not read lives in a document they never open. These rules are the only place that decides.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.crdt.policy import Access
from app.models import Case, Document, Participant, Role, Section, StoryReaders, User, today
from app.services import consent
from app.services.ages import is_adult_on
from app.services.errors import NotFound
from app.services.membership import active_participant, find_active_participant

SHARED_SECTIONS = (Section.analyse, Section.veiligheid, Section.plan, Section.perspectief)


@dataclass(frozen=True)
class DocumentAccess:
    document: Document
    participant: Participant
    access: Access

    @property
    def section_name(self) -> str:
        return section_key(self.document)


def section_key(document: Document) -> str:
    """The section as the API, the editor and the schema name it: ``'analyse'``, ``'plan'``,
    … or ``'verhaal/<owner participant id>'`` (``app.crdt.schema`` accepts both forms)."""
    if document.section == Section.verhaal:
        return f"verhaal/{document.owner_participant_id}"
    return str(document.section)


def add_shared_documents(session: Session, *, case: Case) -> None:
    """Add the four shared documents of a new case (the caller commits)."""
    for section in SHARED_SECTIONS:
        session.add(Document(case_id=case.id, section=section))


def add_story_document(session: Session, *, participant: Participant) -> None:
    """Add the own-story document of a new participant (the caller commits)."""
    session.add(
        Document(
            case_id=participant.case_id,
            section=Section.verhaal,
            owner_participant_id=participant.id,
        )
    )


def needs_consent(participant: Participant, *, youth_is_adult: bool = False) -> bool:
    """Netwerk and a parent without gezag read the shared documents only with consent; once
    the youth is 18, every parent does (gezag ends: parents read what the youth allows)."""
    return participant.role == Role.netwerk or (
        participant.role == Role.ouder and (youth_is_adult or not participant.gezag)
    )


def youth_is_adult(session: Session, case_id: str) -> bool:
    """Is the youth of the case 18 or older today?"""
    case = session.get(Case, case_id)
    return case is not None and is_adult_on(case.youth_birth_date, today())


def access_for(
    participant: Participant,
    document: Document,
    *,
    consented: Collection[str] = (),
    youth_is_adult: bool = False,
) -> Access | None:
    """What ``participant`` may do with ``document``: edit, view, or nothing (None).

    ``consented`` holds the audiences whose consent is complete today; with ``netwerk`` in it,
    the network and parents without gezag may read analyse, plan and perspectief (never
    veiligheid). ``youth_is_adult``: the youth is 18 or older, so a parent counts as one
    without gezag: no veiligheid, and the youth's own story and the shared documents only
    with the youth's consent.
    """
    if not participant.is_active or participant.case_id != document.case_id:
        return None
    role = participant.role
    parent_with_gezag = role == Role.ouder and participant.gezag and not youth_is_adult
    full_member = role in (Role.jongere, Role.aanspreekpunt, Role.specialist) or parent_with_gezag
    reads_with_consent = needs_consent(participant, youth_is_adult=youth_is_adult)
    match document.section:
        case Section.verhaal:
            return _story_access(participant, document, full_member=full_member)
        case Section.analyse | Section.plan | Section.perspectief:
            if full_member:
                return "edit"
            if reads_with_consent and "netwerk" in consented:
                return "view"
            return None
        case Section.veiligheid:
            if participant.safety_closed or not full_member:
                return None
            if role in (Role.aanspreekpunt, Role.specialist):
                return "edit"
            return "view"
    return None


def _story_access(
    participant: Participant, document: Document, *, full_member: bool
) -> Access | None:
    """An own story: its owner writes it, and the aanspreekpunt on their behalf unless the
    owner turned that off (``helper_writes``). Who else reads it is the owner's choice
    (``story_readers``): the professionals always; the youth and parents with gezag unless
    the owner keeps it for the professionals; the network and parents without gezag only when
    the owner opened it to everyone."""
    if document.owner_participant_id == participant.id:
        return "edit"
    role = participant.role
    if role == Role.aanspreekpunt:
        return "edit" if document.helper_writes else "view"
    if role == Role.specialist:
        return "view"
    readers = document.story_readers
    if full_member:
        return "view" if readers != StoryReaders.professionals else None
    return "view" if readers == StoryReaders.everyone else None


def _consented(session: Session, participant: Participant, *, adult: bool) -> frozenset[str]:
    if not needs_consent(participant, youth_is_adult=adult):
        return frozenset()
    return consent.consented_audiences(session, case_id=participant.case_id)


def participant_access(
    session: Session, *, participant: Participant, document: Document
) -> Access | None:
    """What ``participant`` may do with ``document`` today, consent and age included."""
    adult = youth_is_adult(session, document.case_id)
    return access_for(
        participant,
        document,
        consented=_consented(session, participant, adult=adult),
        youth_is_adult=adult,
    )


def may_read_plan(session: Session, *, participant: Participant) -> bool:
    """May ``participant`` read the case's plan today? The same rule as opening the plan
    document (consent and age included). Whoever may not, may not read what a version says
    about the plan either: its decisions and the remarks given with the answers."""
    plan = session.exec(
        select(Document).where(
            Document.case_id == participant.case_id, Document.section == Section.plan
        )
    ).first()
    return (
        plan is not None
        and participant_access(session, participant=participant, document=plan) is not None
    )


def documents_for_user(session: Session, *, user: User, case_id: str) -> list[DocumentAccess]:
    """Every document of the case the user may open, with their access. 404 for strangers."""
    participant = active_participant(session, user=user, case_id=case_id)
    documents = session.exec(
        select(Document).where(Document.case_id == case_id).order_by(col(Document.created_at))
    ).all()
    adult = youth_is_adult(session, case_id)
    consented = _consented(session, participant, adult=adult)
    result = []
    for document in documents:
        access = access_for(participant, document, consented=consented, youth_is_adult=adult)
        if access is not None:
            result.append(DocumentAccess(document, participant, access))
    order = {s: i for i, s in enumerate([*SHARED_SECTIONS, Section.verhaal])}
    result.sort(key=lambda d: (order[d.document.section], d.document.owner_participant_id or 0))
    return result


def document_access(session: Session, *, user: User, doc_id: str) -> DocumentAccess:
    """The user's access to one document; NotFound when they may not read it at all."""
    document = session.get(Document, doc_id)
    if document is None:
        raise NotFound()
    participant = find_active_participant(
        session,
        user_id=user.id,  # type: ignore[arg-type]
        case_id=document.case_id,
    )
    if participant is None:
        raise NotFound()
    adult = youth_is_adult(session, document.case_id)
    access = access_for(
        participant,
        document,
        consented=_consented(session, participant, adult=adult),
        youth_is_adult=adult,
    )
    if access is None:
        raise NotFound()
    return DocumentAccess(document, participant, access)
