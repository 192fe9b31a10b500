"""Family cases: creating them and finding the ones a person takes part in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from app.models import Case, Participant, Role, User, today
from app.services import documents, participants
from app.services.ages import age_on
from app.services.errors import Forbidden, InvalidInput
from app.services.membership import active_participant


@dataclass(frozen=True)
class MyCase:
    case: Case
    participant: Participant

    @property
    def youth_age(self) -> int:
        return age_on(self.case.youth_birth_date, today())


def _parse_birth_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def create_case(
    session: Session, *, actor: User, label: str, youth_birth_date: str, organisation: str = ""
) -> Case:
    """Create a case; the creator becomes its vast aanspreekpunt (professionals only)."""
    if not may_create_cases(session, user=actor):
        raise Forbidden(
            "Alleen hulpverleners kunnen een gezin toevoegen. Vraag je vaste aanspreekpunt."
        )
    errors: dict[str, str] = {}
    label = label.strip()
    if not label:
        errors["label"] = "Geef de casus een naam, bijvoorbeeld 'Gezin Jansen'."
    elif len(label) > 120:
        errors["label"] = "De naam mag hoogstens 120 tekens lang zijn."
    birth_date = _parse_birth_date(youth_birth_date)
    if birth_date is None:
        errors["youth_birth_date"] = "Vul de geboortedatum in als dag, maand en jaar."
    elif birth_date > today():
        errors["youth_birth_date"] = "De geboortedatum kan niet in de toekomst liggen."
    elif age_on(birth_date, today()) > 27:
        errors["youth_birth_date"] = "eenplan is voor jongeren tot 27 jaar. Kijk de datum na."
    if errors:
        raise InvalidInput("Controleer de velden hieronder.", field_errors=errors)
    assert birth_date is not None
    case = Case(label=label, youth_birth_date=birth_date, created_by_id=actor.id)  # type: ignore[arg-type]
    session.add(case)
    session.flush()
    documents.add_shared_documents(session, case=case)
    participants.add_participant(
        session, case=case, user=actor, role=Role.aanspreekpunt, organisation=organisation
    )
    session.commit()
    session.refresh(case)
    return case


def may_create_cases(session: Session, *, user: User) -> bool:
    """Only accounts an administrator marked professional (``User.is_professional``); a role
    in some case does not make anyone a professional."""
    return user.is_professional and user.is_active


def cases_of(session: Session, *, user: User) -> list[MyCase]:
    rows = session.exec(
        select(Case, Participant)
        .join(Participant, col(Participant.case_id) == Case.id)
        .where(Participant.user_id == user.id)
        .order_by(col(Case.label))
    ).all()
    return [MyCase(c, p) for c, p in rows if p.is_active]


def case_for(session: Session, *, user: User, case_id: str) -> MyCase:
    """The case with the user's place in it; NotFound (404) for anyone else."""
    participant = active_participant(session, user=user, case_id=case_id)
    case = session.get(Case, case_id)
    assert case is not None
    return MyCase(case, participant)
