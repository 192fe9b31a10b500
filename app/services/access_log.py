"""The access log as its readers see it: "Wie heeft ons plan bekeken?" for the family, a
filterable table for the aanspreekpunt.

Who may read the log, which entries each reader sees and which details stay hidden are decided
here; ``audit.py`` keeps the log itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from app.dutch import local_time
from app.models import AuditEntry, Case, Document, Participant, Role, Section, User
from app.services import audit, cases, consent, documents
from app.services.errors import Forbidden
from app.services.membership import FAMILY_ROLES, role_label

# The family itself reads the log of their case, and so does their vast aanspreekpunt.
LOG_READERS = FAMILY_ROLES | {Role.aanspreekpunt}

# Entries whose detail is a motivation, which not every reader may see (``consent``).
MOTIVATION_ACTIONS = frozenset(
    {audit.Action.access_without_consent, audit.Action.consent_passed_over}
)


def may_read(participant: Participant) -> bool:
    """Does this participant read the access log of their case?"""
    return participant.role in LOG_READERS


@dataclass(frozen=True)
class LogFilters:
    """The aanspreekpunt's filters, as typed in the form (empty: no filter)."""

    actie: str = ""
    wie: str = ""
    van: str = ""
    tot: str = ""

    @property
    def since(self) -> date | None:
        return _parse_day(self.van)

    @property
    def until(self) -> date | None:
        return _parse_day(self.tot)

    def errors(self) -> dict[str, str]:
        """A Dutch message per date field that is not a date."""
        errors: dict[str, str] = {}
        if self.van and self.since is None:
            errors["van"] = "Vul een datum in."
        if self.tot and self.until is None:
            errors["tot"] = "Vul een datum in."
        return errors


def _parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class LogLine:
    """One entry in plain words."""

    entry: AuditEntry
    who: str
    role: str
    sentence: str  # "<who> <sentence>", for the family
    label: str  # short, for the aanspreekpunt's table
    detail: str
    without_consent: bool
    at: datetime  # local time

    @property
    def day(self) -> date:
        return self.at.date()


@dataclass
class LogGroup:
    """Repeated views by one person on one day, shown to the family as one line ('3 keer')."""

    first: LogLine
    count: int = 1


@dataclass(frozen=True)
class AccessLog:
    case: Case
    viewer: Participant
    is_aanspreekpunt: bool
    lines: list[LogLine]
    groups: list[LogGroup]
    chain: audit.ChainCheck | None  # only for the aanspreekpunt
    actors: list[str]  # names to filter on, only for the aanspreekpunt
    errors: dict[str, str]


def access_log(
    session: Session, *, user: User, case_id: str, filters: LogFilters | None = None
) -> AccessLog:
    """The log of a case as ``user`` may read it, newest first. Filters count only for the
    aanspreekpunt; entries about veiligheid only for who reads veiligheid; motivations only
    for who may read them. Forbidden for everyone else in the case."""
    filters = filters or LogFilters()
    mine = cases.case_for(session, user=user, case_id=case_id)
    viewer = mine.participant
    if not may_read(viewer):
        raise Forbidden("Het logboek is voor de jongere, de ouders en het vaste aanspreekpunt.")
    is_aanspreekpunt = viewer.role == Role.aanspreekpunt
    chosen = filters if is_aanspreekpunt else LogFilters()
    rows = audit.entries(
        session,
        case_id=case_id,
        actions=[chosen.actie] if chosen.actie else None,
        actor_name=chosen.wie or None,
        since=chosen.since,
        until=chosen.until,
    )
    safety = _reads_safety(session, viewer)
    rows = [r for r in rows if safety or not (r.subject or "").startswith("document:veiligheid")]
    hide_motivations = not consent.may_read_motivations(viewer)
    lines = [_line(r, hide_motivation=hide_motivations) for r in rows]
    return AccessLog(
        case=mine.case,
        viewer=viewer,
        is_aanspreekpunt=is_aanspreekpunt,
        lines=lines,
        groups=_family_groups(lines),
        chain=audit.verify_chain(session, case_id=case_id) if is_aanspreekpunt else None,
        actors=audit.actors(session, case_id=case_id) if is_aanspreekpunt else [],
        errors=filters.errors(),
    )


def _reads_safety(session: Session, viewer: Participant) -> bool:
    probe = Document(case_id=viewer.case_id, section=Section.veiligheid)
    adult = documents.youth_is_adult(session, viewer.case_id)
    return documents.access_for(viewer, probe, youth_is_adult=adult) is not None


def _line(entry: AuditEntry, *, hide_motivation: bool) -> LogLine:
    return LogLine(
        entry=entry,
        who=entry.actor_name,
        role=role_label(entry.actor_role),
        sentence=audit.ACTION_SENTENCES.get(entry.action, entry.action),
        label=audit.ACTION_LABELS.get(entry.action, entry.action),
        detail="" if hide_motivation and entry.action in MOTIVATION_ACTIONS else entry.detail,
        without_consent=entry.action == audit.Action.access_without_consent,
        at=local_time(entry.occurred_at),
    )


def _family_groups(lines: list[LogLine]) -> list[LogGroup]:
    groups: list[LogGroup] = []
    index: dict[tuple[object, ...], LogGroup] = {}
    for line in lines:
        entry = line.entry
        key = (line.day, entry.actor_name, entry.action, entry.subject)
        if entry.action in audit.VIEW_ACTIONS and key in index:
            index[key].count += 1
            continue
        group = LogGroup(line)
        groups.append(group)
        if entry.action in audit.VIEW_ACTIONS:
            index[key] = group
    return groups
