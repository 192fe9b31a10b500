"""A second demo family, set up so the aanspreekpunt's worklist ("Mijn gezinnen") shows each
kind of item: an overdue evaluation, a version waiting for akkoord, consent still missing, a
birthday within 30 days that changes the age band (16), a share link that stops within a
week, an evaluation round in which Mila gave her scores and the others not yet, and the last
activity.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from sqlmodel import Session, select

from app.crdt.store import stored_doc
from app.models import Case, Role, User, today, utcnow
from app.services import accounts, cases, consent, evaluations, participants, shares, versions
from app.services.access_bus import AccessBus
from app.services.ages import birthday_in_year
from app.settings import Settings

LABEL = "Gezin Visser"
BIRTHDAY_IN_DAYS = 20  # the youth turns 16 then
LINK_DAYS = 5
EVALUATION_DAYS_AGO = 3
MEETING_IN_DAYS = 10


def family_count(session: Session) -> int:
    """How many worklist demo families there are."""
    return len(session.exec(select(Case.id).where(Case.label == LABEL)).all())


def _birth_date_turning(years: int, in_days: int, on: date) -> date:
    """A birth date so the youth turns ``years`` in ``in_days`` days."""
    birthday = on + timedelta(days=in_days)
    born = birthday_in_year(birthday, -years)
    return born if birthday_in_year(born, years) == birthday else born - timedelta(days=1)


def seed_worklist_family(
    session: Session, *, aanspreekpunt: User, suffix: str, settings: Settings
) -> str:
    """Add the worklist demo family with ``aanspreekpunt`` as its vast aanspreekpunt; returns
    the case id. The youth is 15 and turns 16 in 20 days."""
    case = cases.create_case(
        session,
        actor=aanspreekpunt,
        label=LABEL,
        youth_birth_date=_birth_date_turning(16, BIRTHDAY_IN_DAYS, today()).isoformat(),
        organisation="WIJ Groningen",
    )
    people = {}
    for key, name, role, gezag in (
        ("jongere", "Mila", Role.jongere, False),
        ("moeder", "Anouk Visser", Role.ouder, True),
        ("vader", "Ruben Visser", Role.ouder, True),
    ):
        user = accounts.create_user(
            session,
            email=f"{key}-visser{suffix}@demo.eenplan.nl",
            name=name,
            password=f"demo-{secrets.token_hex(6)}",
        )
        participants.add_participant(session, case=case, user=user, role=role, gezag=gezag)
        people[key] = user
    session.commit()
    bus = AccessBus()  # nobody is connected yet: nothing live to tell
    # Family and network: everyone agreed, and a link for grandma stops in a few days.
    for key in ("jongere", "moeder", "vader"):
        consent.decide(
            session,
            user=people[key],
            case_id=case.id,
            audience="netwerk",
            decision="given",
            bus=bus,
        )
    shares.create_share(
        session,
        actor=aanspreekpunt,
        case_id=case.id,
        audience="netwerk",
        label="Oma Visser",
        expires_in_days=LINK_DAYS,
        bus=bus,
    )
    # School: only Mila said yes so far.
    consent.decide(
        session,
        user=people["jongere"],
        case_id=case.id,
        audience="school",
        decision="given",
        bus=bus,
    )
    # A version from the last zorgoverleg: its evaluation date has passed, and only the
    # mother has answered.
    states = {
        doc_id: stored_doc(session.connection(), doc_id).get_update()
        for doc_id in versions.documents_to_freeze(session, actor=aanspreekpunt, case_id=case.id)
    }
    version = versions.adopt(
        session,
        actor=aanspreekpunt,
        case_id=case.id,
        title="Zorgoverleg",
        meeting_date=(today() - timedelta(days=40)).isoformat(),
        next_evaluation_date=(today() - timedelta(days=EVALUATION_DAYS_AGO)).isoformat(),
        states=states,
        settings=settings,
        adopted_at=utcnow() - timedelta(days=40),  # at that zorgoverleg
    )
    versions.record_approval(
        session,
        actor=people["moeder"],
        case_id=case.id,
        number=version.number,
        decision="akkoord",
        remark="",
    )
    # The next zorgoverleg is planned: the round asks everyone, and only Mila answered so far.
    evaluations.open_round(
        session,
        actor=aanspreekpunt,
        case_id=case.id,
        settings=settings,
        meeting_date=(today() + timedelta(days=MEETING_IN_DAYS)).isoformat(),
    )
    evaluations.record_answers(
        session,
        actor=people["jongere"],
        case_id=case.id,
        form={
            question.field_name: "6"
            for question in evaluations.current_questions(session, case_id=case.id)
        },
    )
    return case.id
