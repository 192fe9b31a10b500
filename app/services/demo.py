"""A believable demo family, seeded by ``eenplan demo`` and ``make run``.

Each call adds one more case with new people, so the e-mail addresses carry a number.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import date

from sqlmodel import Session, func, select

from app.models import Case, Role, today
from app.services import accounts, cases, demo_filled, demo_worklist, participants, two_factor
from app.services.membership import PROFESSIONAL_ROLES
from app.settings import Settings, get_settings


@dataclass(frozen=True)
class DemoPerson:
    name: str
    role: Role
    gezag: bool
    email: str
    password: str
    organisation: str | None = None
    is_admin: bool = False
    totp_secret: str | None = None


@dataclass(frozen=True)
class DemoCase:
    case_id: str
    youth_birth_date: date
    people: list[DemoPerson]

    def as_json(self) -> dict[str, object]:
        return {
            "case_id": self.case_id,
            "youth_birth_date": self.youth_birth_date.isoformat(),
            "participants": [self._person_json(p) for p in self.people],
        }

    @staticmethod
    def _person_json(person: DemoPerson) -> dict[str, object]:
        data: dict[str, object] = {
            "name": person.name,
            "role": str(person.role),
            "gezag": person.gezag,
            "email": person.email,
            "password": person.password,
        }
        if person.totp_secret:
            data["totp_secret"] = person.totp_secret
        return data


FAMILIES = [
    ("de Vries", "Sanne", "Marieke", "Johan", "Ria"),
    ("Bakker", "Noah", "Fatima", "Dennis", "Aaltje"),
    ("Jansen", "Lotte", "Ingrid", "Kees", "Gerda"),
    ("Mulder", "Daan", "Yvonne", "Erik", "Trijntje"),
]


def _birth_date_for_age(years: int, on: date) -> date:
    """A birth date that makes the youth ``years`` old today, with the birthday well away."""
    month = (on.month + 5) % 12 + 1  # about half a year off, so the band does not flip soon
    candidate = date(on.year - years, month, 15)
    if (candidate.month, candidate.day) > (on.month, on.day):
        candidate = date(on.year - years - 1, month, 15)
    return candidate


def case_count(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(Case)).one())


def seed_demo_case(
    session: Session, settings: Settings | None = None, *, filled: bool = False
) -> DemoCase:
    """Add one demo family: youth of 14, mother and father with gezag (father lives
    elsewhere), WIJ worker as aanspreekpunt, a specialist and the grandmother as netwerk.
    ``filled``: with six weeks of their work in it (``demo_filled``); else empty documents.
    The WIJ worker also gets a second family that fills her worklist (``demo_worklist``)."""
    settings = settings or get_settings()
    # Numbered by the main demo families only, so the worklist family does not skip a name.
    number = case_count(session) - demo_worklist.family_count(session) + 1
    surname, youth, mother, father, grandma = FAMILIES[(number - 1) % len(FAMILIES)]
    suffix = "" if number == 1 else str(number)
    birth_date = _birth_date_for_age(14, today())

    def person(
        name: str, role: Role, gezag: bool, local: str, org: str | None = None
    ) -> DemoPerson:
        return DemoPerson(
            name=name,
            role=role,
            gezag=gezag,
            email=f"{local}{suffix}@demo.eenplan.nl",
            password=f"demo-{secrets.token_hex(4)}",
            organisation=org,
        )

    people = [
        person("Wendy Hoekstra (WIJ)", Role.aanspreekpunt, False, "wij", "WIJ Groningen"),
        person(youth, Role.jongere, False, "jongere"),
        person(f"{mother} {surname}", Role.ouder, True, "moeder"),
        person(f"{father} {surname} (woont apart)", Role.ouder, True, "vader"),
        person("Dr. Bram Postma", Role.specialist, False, "specialist", "Accare"),
        person(f"Oma {grandma}", Role.netwerk, False, "oma"),
    ]
    # The WIJ worker and the specialist are professionals (and sign in with a code); the WIJ
    # worker also administers, so the admin page can be tried.
    users = []
    for index, p in enumerate(people):
        professional = p.role in PROFESSIONAL_ROLES
        user = accounts.create_user(
            session,
            email=p.email,
            name=p.name,
            password=p.password,
            is_professional=professional,
            is_admin=index == 0,
        )
        if professional or index == 0:
            secret = two_factor.enrol_without_confirmation(session, user=user, settings=settings)
            people[index] = replace(p, totp_secret=secret, is_admin=index == 0)
        users.append(user)
    case = cases.create_case(
        session,
        actor=users[0],
        label=f"Gezin {surname}".replace("Gezin de", "Gezin De"),
        youth_birth_date=birth_date.isoformat(),
        organisation=people[0].organisation or "",
    )
    for user, p in zip(users[1:], people[1:], strict=True):
        participants.add_participant(
            session, case=case, user=user, role=p.role, gezag=p.gezag, organisation=p.organisation
        )
    session.commit()
    if filled:
        demo_filled.fill_demo_case(session, case=case, settings=settings)
    demo_worklist.seed_worklist_family(
        session, aanspreekpunt=users[0], suffix=suffix, settings=settings
    )
    return DemoCase(case_id=case.id, youth_birth_date=birth_date, people=people)
