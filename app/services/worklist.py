"""The worklist of a professional ("Mijn gezinnen"): per family what waits, and when.

Per family: the next evaluation date (overdue said in words), a version waiting for akkoord
and from whom, consent that is missing or must be asked again, a birthday within 30 days that
changes the age band (12, 16, 18), share links that stop within 7 days, and the last activity.
Only professionals have a worklist, and it holds only the families they work with.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from app.dutch import dutch_date
from app.models import (
    Approval,
    AuditEntry,
    Case,
    Consent,
    Document,
    DocumentUpdate,
    Participant,
    Share,
    User,
    Version,
    today,
    utcnow,
)
from app.services import consent, evaluations, versions
from app.services.ages import age_on, next_band_birthday
from app.services.audit import ACTION_SENTENCES, VIEW_ACTIONS
from app.services.errors import Forbidden
from app.services.membership import PROFESSIONAL_ROLES, participant_names
from app.services.shares import why_share_stopped

AGE_DAYS_AHEAD = 30
LINK_DAYS_AHEAD = 7
NOT_A_PROFESSIONAL = "De werklijst is alleen voor hulpverleners. Je plan vind je op de startpagina."


class ItemKind(enum.StrEnum):
    evaluatie = "evaluatie"
    ronde = "ronde"
    akkoord = "akkoord"
    toestemming = "toestemming"
    leeftijd = "leeftijd"
    link = "link"
    activiteit = "activiteit"


KIND_LABELS = {
    ItemKind.evaluatie: "Evaluatie",
    ItemKind.ronde: "Evaluatieronde",
    ItemKind.akkoord: "Wacht op akkoord",
    ItemKind.toestemming: "Toestemming",
    ItemKind.leeftijd: "Verjaardag",
    ItemKind.link: "Link stopt",
    ItemKind.activiteit: "Laatste activiteit",
}

AGE_CHANGES = {
    12: "Vanaf dan geven de jongere én de ouders met gezag samen toestemming.",
    16: "Vanaf dan beslist de jongere zelf over delen.",
    18: "Dan is de jongere volwassen. Ouders lezen alleen mee als de jongere dat goedvindt.",
}


@dataclass(frozen=True)
class WorkItem:
    """One thing that waits for a family. ``due``: the day it is about (evaluation, birthday,
    end of a link), or the day it started waiting (akkoord, consent, last activity)."""

    case_id: str
    label: str
    kind: ItemKind
    due: date | None
    detail: str
    overdue: bool = False

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass
class FamilyRow:
    case: Case
    participant: Participant
    youth_age: int
    items: list[WorkItem] = field(default_factory=list)
    last_activity: WorkItem | None = None

    @property
    def overdue(self) -> bool:
        return any(item.overdue for item in self.items)

    @property
    def first_due(self) -> date | None:
        days = [item.due for item in self.items if item.due is not None]
        return min(days) if days else None


def is_professional(session: Session, *, user: User) -> bool:
    """A professional account, or one that works as aanspreekpunt or specialist in a case."""
    if user.is_professional:
        return True
    places = session.exec(select(Participant).where(Participant.user_id == user.id)).all()
    return any(p.is_active and p.role in PROFESSIONAL_ROLES for p in places)


def _evaluation(case: Case, version: Version | None, on: date) -> list[WorkItem]:
    if version is None or version.next_evaluation_date is None:
        return []
    when = version.next_evaluation_date
    days = (when - on).days
    if days < 0:
        late = "1 dag" if days == -1 else f"{-days} dagen"
        detail = f"De evaluatie was op {dutch_date(when)}: {late} te laat."
    elif days == 0:
        detail = "De evaluatie is vandaag."
    else:
        soon = "morgen" if days == 1 else f"over {days} dagen"
        detail = f"De volgende evaluatie is op {dutch_date(when)}, {soon}."
    return [WorkItem(case.id, case.label, ItemKind.evaluatie, when, detail, overdue=days < 0)]


def _round(session: Session, case: Case, viewer: Participant) -> list[WorkItem]:
    """An open evaluation round in which someone still has scores to give: who, by name."""
    evaluation = evaluations.open_round_of(session, case_id=case.id)
    if evaluation is None:
        return []
    statuses = evaluations.everyone_in(session, evaluation=evaluation)
    names = participant_names(session, case_id=case.id)
    waiting = [
        "jij" if status.participant.id == viewer.id else names[status.participant.id or 0]
        for status in statuses
        if not status.done
    ]
    if not waiting:
        return []
    done = len(statuses) - len(waiting)
    meeting = evaluation.meeting_date
    about = f"voor het zorgoverleg op {dutch_date(meeting)}" if meeting else "voor het zorgoverleg"
    detail = (
        f"Evaluatieronde {about}: {done} van {len(statuses)} gaven al hun cijfers. "
        f"Nog niet: {_names(waiting)}."
    )
    return [WorkItem(case.id, case.label, ItemKind.ronde, meeting, detail)]


def _akkoord(
    session: Session, case: Case, version: Version | None, viewer: Participant
) -> list[WorkItem]:
    if version is None:
        return []
    answered = set(
        session.exec(select(Approval.participant_id).where(Approval.version_id == version.id)).all()
    )
    waiting = [
        "jou" if m.participant.id == viewer.id else m.user.name
        for m in versions.asked_for_akkoord(session, case_id=case.id)
        if m.participant.id not in answered
    ]
    if not waiting:
        return []
    detail = f"Versie {version.number} wacht op akkoord van {_names(waiting)}."
    return [WorkItem(case.id, case.label, ItemKind.akkoord, version.adopted_at.date(), detail)]


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " en " + names[-1]


def _consent(session: Session, case: Case, on: date) -> list[WorkItem]:
    """Consent that is missing, for an audience the family works with (someone decided
    about it, or a link was made for it): an audience never asked for is not a task."""
    used = set(session.exec(select(Consent.audience).where(Consent.case_id == case.id)).all())
    used |= set(session.exec(select(Share.audience).where(Share.case_id == case.id)).all())
    items = []
    for audience in consent.AUDIENCES:
        if audience not in used:
            continue
        state = consent.consent_state(session, case.id, audience, on)
        if state.complete:
            continue
        name = consent.AUDIENCES[audience].name
        again = state.ask_again
        if again:
            detail = (
                f"Toestemming voor delen met {name} moet opnieuw, omdat de jongere jarig is "
                f"geweest. Nodig: {_names(state.still_needed)}."
            )
        else:
            detail = (
                f"Toestemming voor delen met {name} ontbreekt nog. "
                f"Nodig: {_names(state.still_needed)}."
            )
        items.append(WorkItem(case.id, case.label, ItemKind.toestemming, None, detail))
    return items


def _birthday(case: Case, on: date) -> list[WorkItem]:
    upcoming = next_band_birthday(case.youth_birth_date, on)
    if upcoming is None:
        return []
    years, day = upcoming
    if (day - on).days > AGE_DAYS_AHEAD:
        return []
    when = "vandaag" if day == on else f"op {dutch_date(day)}"
    detail = f"De jongere wordt {years} {when}. {AGE_CHANGES[years]}"
    return [WorkItem(case.id, case.label, ItemKind.leeftijd, day, detail)]


def _links(session: Session, case: Case, now: datetime) -> list[WorkItem]:
    shares = session.exec(
        select(Share).where(
            Share.case_id == case.id,
            col(Share.revoked_at).is_(None),
            Share.expires_at > now,
            Share.expires_at <= now + timedelta(days=LINK_DAYS_AHEAD),
        )
    ).all()
    items = []
    for share in shares:
        if why_share_stopped(session, share) is not None:
            continue
        name = consent.AUDIENCES[share.audience].name if share.audience in consent.AUDIENCES else ""
        end = share.expires_at.date()
        detail = f"De link ‘{share.label}’ voor {name} stopt op {dutch_date(end)}."
        items.append(WorkItem(case.id, case.label, ItemKind.link, end, detail))
    return items


def _last_activity(session: Session, case: Case) -> WorkItem | None:
    """The newest edit of a document, answer on a version, or change in the access log."""
    found: list[tuple[datetime, str]] = []
    edit = session.exec(
        select(DocumentUpdate.created_at, User.name)
        .join(Document, col(Document.id) == DocumentUpdate.document_id)
        .join(User, col(User.id) == DocumentUpdate.author_user_id, isouter=True)
        .where(Document.case_id == case.id)
        .order_by(col(DocumentUpdate.id).desc())
        .limit(1)
    ).first()
    if edit is not None:
        found.append((edit[0], f"{edit[1] or 'Iemand'} heeft aan het plan geschreven"))
    entry = session.exec(
        select(AuditEntry)
        .where(AuditEntry.case_id == case.id, col(AuditEntry.action).not_in(list(VIEW_ACTIONS)))
        .order_by(col(AuditEntry.seq).desc())
        .limit(1)
    ).first()
    if entry is not None:
        sentence = ACTION_SENTENCES.get(entry.action, entry.action)
        found.append((entry.occurred_at, f"{entry.actor_name} {sentence}"))
    answer = session.exec(
        select(Approval.created_at, User.name)
        .join(Version, col(Version.id) == Approval.version_id)
        .join(Participant, col(Participant.id) == Approval.participant_id)
        .join(User, col(User.id) == Participant.user_id)
        .where(Version.case_id == case.id)
        .order_by(col(Approval.id).desc())
        .limit(1)
    ).first()
    if answer is not None:
        found.append((answer[0], f"{answer[1]} heeft een versie beoordeeld"))
    if not found:
        return None
    moment, what = max(found, key=lambda pair: pair[0])
    detail = f"{what}, op {dutch_date(moment)}."
    return WorkItem(case.id, case.label, ItemKind.activiteit, moment.date(), detail)


def _latest_version(session: Session, case_id: str) -> Version | None:
    return session.exec(
        select(Version).where(Version.case_id == case_id).order_by(col(Version.number).desc())
    ).first()


def family_row(session: Session, *, case: Case, participant: Participant, on: date) -> FamilyRow:
    """Everything that waits for one family on day ``on``."""
    version = _latest_version(session, case.id)
    row = FamilyRow(case, participant, age_on(case.youth_birth_date, on))
    row.items = [
        *_evaluation(case, version, on),
        *_round(session, case, participant),
        *_akkoord(session, case, version, participant),
        *_consent(session, case, on),
        *_birthday(case, on),
        *_links(session, case, utcnow()),
    ]
    row.last_activity = _last_activity(session, case)
    return row


class Sort(enum.StrEnum):
    urgent = "urgent"
    naam = "naam"
    activiteit = "activiteit"


SORT_LABELS = {
    Sort.urgent: "Eerst wat het eerst moet",
    Sort.naam: "Op naam (A-Z)",
    Sort.activiteit: "Laatst actief eerst",
}

FILTER_LABELS = {
    "": "Alle gezinnen",
    "te_doen": "Alleen gezinnen met iets te doen",
    "te_laat": "Alleen wat te laat is",
    **{str(kind): KIND_LABELS[kind] for kind in ItemKind if kind != ItemKind.activiteit},
}


def _sort_key(sort: Sort):  # type: ignore[no-untyped-def]
    def key(row: FamilyRow) -> tuple[object, ...]:
        label = row.case.label.casefold()
        if sort == Sort.naam:
            return (label,)
        if sort == Sort.activiteit:
            moment = row.last_activity.due if row.last_activity else date.min
            return (-(moment or date.min).toordinal(), label)
        first = row.first_due
        return (not row.overdue, not row.items, first or date.max, label)

    return key


def _matches(row: FamilyRow, *, query: str, show: str) -> bool:
    if query and query.casefold() not in row.case.label.casefold():
        return False
    if show == "te_doen":
        return bool(row.items)
    if show == "te_laat":
        return row.overdue
    if show:
        return any(item.kind == show for item in row.items)
    return True


def _items_for(items: list[WorkItem], *, show: str) -> list[WorkItem]:
    """The items of a shown family that the filter is about: with ``te_laat`` only what is
    overdue, with a kind only that kind; otherwise all."""
    if show == "te_laat":
        return [item for item in items if item.overdue]
    if show and show != "te_doen":
        return [item for item in items if item.kind == show]
    return items


def worklist(
    session: Session,
    *,
    user: User,
    query: str = "",
    show: str = "",
    sort: str = Sort.urgent,
    on: date | None = None,
) -> list[FamilyRow]:
    """The professional's families with what waits, searched by name (``query``), filtered
    (``show``: a kind, ``te_doen`` or ``te_laat``; a family shown lists only the items the
    filter is about) and sorted. Forbidden for anyone who is not a professional."""
    if not is_professional(session, user=user):
        raise Forbidden(NOT_A_PROFESSIONAL)
    on = on or today()
    rows = session.exec(
        select(Case, Participant)
        .join(Participant, col(Participant.case_id) == Case.id)
        .where(Participant.user_id == user.id)
    ).all()
    families = [
        family_row(session, case=case, participant=place, on=on)
        for case, place in rows
        if place.is_active and place.role in PROFESSIONAL_ROLES
    ]
    shown = [row for row in families if _matches(row, query=query.strip(), show=show)]
    for row in shown:
        row.items = _items_for(row.items, show=show)
    chosen = Sort(sort) if sort in Sort.__members__ else Sort.urgent
    shown.sort(key=_sort_key(chosen))
    return shown


def items_of(rows: list[FamilyRow]) -> list[WorkItem]:
    """Every item of the rows, last activity included, soonest first."""
    items = [item for row in rows for item in row.items]
    items += [row.last_activity for row in rows if row.last_activity is not None]
    items.sort(key=lambda i: (i.due is None, i.due or date.max, i.label.casefold(), i.kind))
    return items
