"""Who takes part in a case, by which role: the leaf every other service builds on.

Only queries and names live here (no writes), so every service may import this module and
this module imports no other service. Role labels and the named sets of roles are defined once,
here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.models import Participant, Role, User
from app.services.errors import Forbidden, NotFound

ROLE_LABELS: dict[Role, str] = {
    Role.jongere: "Jongere",
    Role.ouder: "Ouder of verzorger",
    Role.aanspreekpunt: "Vast aanspreekpunt",
    Role.specialist: "Specialist",
    Role.netwerk: "Netwerk (familie, vertrouwenspersoon)",
}

# Labels of the actors in the access log that are not roles in a case.
OTHER_ACTOR_LABELS = {"school": "School", "onbekend": "Onbekend", "systeem": "eenplan zelf"}

# Professionals: they work on the case for an organisation (and sign in with a second factor).
PROFESSIONAL_ROLES = frozenset({Role.aanspreekpunt, Role.specialist})

# The family itself: the youth and their parents. They read the access log of their case.
FAMILY_ROLES = frozenset({Role.jongere, Role.ouder})

# Everyone who is not a professional: the family and their network. Their home page shows
# "Mijn plan"; a professional's shows "Mijn gezinnen".
FAMILY_AND_NETWORK_ROLES = FAMILY_ROLES | {Role.netwerk}


def role_label(role: str) -> str:
    """Dutch label of a role code, or of another actor in the access log ('school', …)."""
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return OTHER_ACTOR_LABELS.get(role, role)


@dataclass(frozen=True)
class Member:
    """An active participant of a case with their account."""

    participant: Participant
    user: User

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.participant.role]


def active_places(session: Session, *, user_id: int, case_id: str) -> list[Participant]:
    """Every active place of the user in the case, oldest first. The database allows one;
    removal ends them all anyway, so a place that slipped in earlier cannot keep access."""
    rows = session.exec(
        select(Participant)
        .where(Participant.case_id == case_id, Participant.user_id == user_id)
        .order_by(col(Participant.active_from), col(Participant.id))
    ).all()
    return [p for p in rows if p.is_active]


def active_places_in_any_case(session: Session, *, user_id: int) -> list[Participant]:
    """Every active place of the user, in whichever case."""
    rows = session.exec(select(Participant).where(Participant.user_id == user_id)).all()
    return [p for p in rows if p.is_active]


def find_active_participant(session: Session, *, user_id: int, case_id: str) -> Participant | None:
    """The user's active place in the case, or None."""
    return next(iter(active_places(session, user_id=user_id, case_id=case_id)), None)


def active_participant(session: Session, *, user: User, case_id: str) -> Participant:
    """The user's place in the case; NotFound (404) for anyone who is not in it."""
    participant = find_active_participant(session, user_id=user.id, case_id=case_id)  # type: ignore[arg-type]
    if participant is None:
        raise NotFound()
    return participant


def require_aanspreekpunt(session: Session, *, user: User, case_id: str) -> Participant:
    """The user's place in the case if they are its vast aanspreekpunt; Forbidden (403) for
    other participants, NotFound (404) for everyone else."""
    participant = active_participant(session, user=user, case_id=case_id)
    if participant.role != Role.aanspreekpunt:
        raise Forbidden("Alleen het vaste aanspreekpunt kan dit doen.")
    return participant


def active_with_role(session: Session, *, case_id: str, role: Role) -> list[Participant]:
    """Every active participant of the case with ``role``."""
    rows = session.exec(
        select(Participant).where(Participant.case_id == case_id, Participant.role == role)
    ).all()
    return [p for p in rows if p.is_active]


def active_members(session: Session, *, case_id: str) -> list[Member]:
    """Everyone who takes part in the case now, in role order, then by name."""
    rows = session.exec(
        select(Participant, User)
        .join(User, col(User.id) == Participant.user_id)
        .where(Participant.case_id == case_id)
        .order_by(col(Participant.id))
    ).all()
    order = list(Role)
    members = [Member(p, u) for p, u in rows if p.is_active]
    members.sort(key=lambda m: (order.index(m.participant.role), m.user.name))
    return members


def names_of(members: Iterable[Member]) -> dict[int, str]:
    """Participant id → name, for showing who is meant in a document (a person field names a
    participant by id). Whoever is not among ``members`` has no name here."""
    return {m.participant.id: m.user.name for m in members if m.participant.id is not None}


def participant_names(session: Session, *, case_id: str) -> dict[int, str]:
    """Names of everyone who ever took part (removed people stay named in a history)."""
    rows = session.exec(
        select(Participant, User)
        .join(User, col(User.id) == Participant.user_id)
        .where(Participant.case_id == case_id)
    ).all()
    return names_of(Member(p, u) for p, u in rows)
