"""Who must consent, per age band and on the birthday itself; every change is a new version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlmodel import Session, select

from app.models import Consent, Participant, Role, User
from app.services import cases, consent, documents, membership, participants
from app.services.access_bus import AccessBus
from app.services.errors import Conflict, Forbidden, InvalidInput
from tests.conftest import make_user

BIRTH = date(2010, 6, 15)
AGE_11 = date(2022, 6, 14)
BIRTHDAY_12 = date(2022, 6, 15)
AGE_14 = date(2024, 9, 1)
DAY_BEFORE_16 = date(2026, 6, 14)
BIRTHDAY_16 = date(2026, 6, 15)


@dataclass
class Household:
    case_id: str
    users: dict[str, User]
    places: dict[str, Participant]


@pytest.fixture
def household(db: Session) -> Household:
    """Youth born 15 June 2010, both parents with gezag, a grandmother and an aanspreekpunt."""
    wij = make_user(db, "Wendy WIJ", professional=True)
    case = cases.create_case(db, actor=wij, label="Gezin Datum", youth_birth_date=BIRTH.isoformat())
    users = {"aanspreekpunt": wij}
    places = {"aanspreekpunt": membership.active_participant(db, user=wij, case_id=case.id)}
    for key, name, role, gezag in [
        ("jongere", "Sanne", Role.jongere, False),
        ("moeder", "Marieke", Role.ouder, True),
        ("vader", "Johan", Role.ouder, True),
        ("oma", "Ria", Role.netwerk, False),
    ]:
        users[key] = make_user(db, name)
        places[key] = participants.add_participant(
            db, case=case, user=users[key], role=role, gezag=gezag
        )
        db.commit()
    return Household(case.id, users, places)


def _give(db: Session, h: Household, who: str, on: date, audience: str = "school") -> Consent:
    return consent.decide(
        db,
        user=h.users[who],
        case_id=h.case_id,
        audience=audience,
        decision="given",
        on=on,
        bus=AccessBus(),
    )


def test_under_12_the_parents_with_gezag_decide_and_the_youth_is_not_asked(
    db: Session, household: Household
) -> None:
    state = consent.consent_state(db, household.case_id, "school", AGE_11)
    assert state.still_needed == ["Johan", "Marieke"]
    _give(db, household, "moeder", AGE_11)
    _give(db, household, "vader", AGE_11)
    assert consent.consent_state(db, household.case_id, "school", AGE_11).complete
    with pytest.raises(Forbidden, match="jonger dan 12"):
        _give(db, household, "jongere", AGE_11)


def test_on_the_12th_birthday_the_youth_must_consent_too(db: Session, household: Household) -> None:
    _give(db, household, "moeder", AGE_11)
    _give(db, household, "vader", AGE_11)
    on_birthday = consent.consent_state(db, household.case_id, "school", BIRTHDAY_12)
    assert not on_birthday.complete
    assert "Sanne" in on_birthday.still_needed
    # consent given in the band before must be asked again
    assert on_birthday.ask_again == ["Johan", "Marieke"]
    for who in ("jongere", "moeder", "vader"):
        _give(db, household, who, BIRTHDAY_12)
    assert consent.consent_state(db, household.case_id, "school", BIRTHDAY_12).complete


def test_from_12_to_15_the_youth_and_every_parent_with_gezag_must_consent(
    db: Session, household: Household
) -> None:
    _give(db, household, "jongere", AGE_14)
    _give(db, household, "moeder", AGE_14)
    state = consent.consent_state(db, household.case_id, "school", AGE_14)
    assert not state.complete
    assert state.still_needed == ["Johan"]
    assert state.missing_message() == (
        "Delen met school kan nog niet. Nog nodig: toestemming van Johan."
    )
    _give(db, household, "vader", AGE_14)
    assert consent.consent_state(db, household.case_id, "school", AGE_14).complete


def test_a_parent_can_be_passed_over_only_with_a_recorded_reason(
    db: Session, household: Household
) -> None:
    _give(db, household, "jongere", AGE_14)
    _give(db, household, "moeder", AGE_14)
    vader = household.places["vader"].id
    assert vader is not None
    with pytest.raises(InvalidInput):
        consent.pass_over_parent(
            db,
            actor=household.users["aanspreekpunt"],
            case_id=household.case_id,
            audience="school",
            parent_participant_id=vader,
            reason="",
            on=AGE_14,
            bus=AccessBus(),
        )
    with pytest.raises(InvalidInput, match="te lang"):
        consent.pass_over_parent(
            db,
            actor=household.users["aanspreekpunt"],
            case_id=household.case_id,
            audience="school",
            parent_participant_id=vader,
            reason="Onbereikbaar. " * 1000,
            on=AGE_14,
            bus=AccessBus(),
        )
    record = consent.pass_over_parent(
        db,
        actor=household.users["aanspreekpunt"],
        case_id=household.case_id,
        audience="school",
        parent_participant_id=vader,
        reason="Vader is onbereikbaar, al een half jaar geen contact.",
        on=AGE_14,
        bus=AccessBus(),
    )
    assert record.passed_over_participant_id == vader
    assert record.grantor_role == "aanspreekpunt"
    state = consent.consent_state(db, household.case_id, "school", AGE_14)
    assert state.complete
    assert [r.status for r in state.requirements if r.name == "Johan"] == ["passed_over"]


def test_only_the_aanspreekpunt_can_pass_over_a_parent(db: Session, household: Household) -> None:
    with pytest.raises(Forbidden):
        consent.pass_over_parent(
            db,
            actor=household.users["moeder"],
            case_id=household.case_id,
            audience="school",
            parent_participant_id=household.places["vader"].id or 0,
            reason="Ik wil niet dat hij meebeslist over school.",
            on=AGE_14,
            bus=AccessBus(),
        )


def test_passing_over_a_parent_is_not_possible_under_12(db: Session, household: Household) -> None:
    with pytest.raises(InvalidInput, match="12 tot en met 15"):
        consent.pass_over_parent(
            db,
            actor=household.users["aanspreekpunt"],
            case_id=household.case_id,
            audience="school",
            parent_participant_id=household.places["vader"].id or 0,
            reason="Vader is onbereikbaar, al een half jaar geen contact.",
            on=AGE_11,
            bus=AccessBus(),
        )


def test_from_16_the_youth_decides_alone(db: Session, household: Household) -> None:
    for who in ("jongere", "moeder", "vader"):
        _give(db, household, who, DAY_BEFORE_16)
    assert consent.consent_state(db, household.case_id, "school", DAY_BEFORE_16).complete
    on_birthday = consent.consent_state(db, household.case_id, "school", BIRTHDAY_16)
    assert not on_birthday.complete
    assert on_birthday.still_needed == ["Sanne"]
    assert on_birthday.ask_again == ["Sanne"]
    with pytest.raises(Forbidden, match="16 of ouder"):
        _give(db, household, "moeder", BIRTHDAY_16)
    _give(db, household, "jongere", BIRTHDAY_16)
    state = consent.consent_state(db, household.case_id, "school", BIRTHDAY_16)
    assert state.complete
    assert [r.name for r in state.requirements] == ["Sanne"]


def test_a_parent_without_gezag_and_the_network_cannot_consent(
    db: Session, household: Household
) -> None:
    with pytest.raises(Forbidden):
        _give(db, household, "oma", AGE_14)
    with pytest.raises(Forbidden):
        _give(db, household, "aanspreekpunt", AGE_14)


def test_a_change_is_a_new_version_and_old_versions_stay_unchanged(
    db: Session, household: Household
) -> None:
    first = _give(db, household, "jongere", AGE_14)
    first_copy = first.model_dump()
    withdrawn = consent.decide(
        db,
        user=household.users["jongere"],
        case_id=household.case_id,
        audience="school",
        decision="withdrawn",
        on=AGE_14,
        bus=AccessBus(),
    )
    again = _give(db, household, "jongere", AGE_14)
    rows = db.exec(
        select(Consent).where(Consent.case_id == household.case_id).order_by(Consent.id)  # type: ignore[arg-type]
    ).all()
    assert [(r.version, r.status) for r in rows] == [(1, "given"), (2, "withdrawn"), (3, "given")]
    assert withdrawn.previous_id == first.id and again.previous_id == withdrawn.id
    assert withdrawn.withdrawn_at is not None
    db.expire_all()
    stored_first = db.get(Consent, first.id)
    assert stored_first is not None and stored_first.model_dump() == first_copy
    assert stored_first.age_band == "12-15" and stored_first.grantor_role == "jongere"


def test_withdrawing_without_consent_is_refused(db: Session, household: Household) -> None:
    with pytest.raises(Conflict):
        consent.decide(
            db,
            user=household.users["jongere"],
            case_id=household.case_id,
            audience="school",
            decision="withdrawn",
            on=AGE_14,
            bus=AccessBus(),
        )


def test_consent_expires_after_the_chosen_period(db: Session, household: Household) -> None:
    for who in ("jongere", "moeder", "vader"):
        consent.decide(
            db,
            user=household.users[who],
            case_id=household.case_id,
            audience="school",
            decision="given",
            months=3,
            on=AGE_14,
            bus=AccessBus(),
        )
    assert consent.consent_state(db, household.case_id, "school", date(2024, 12, 1)).complete
    later = consent.consent_state(db, household.case_id, "school", date(2024, 12, 2))
    assert not later.complete
    assert {r.status for r in later.requirements} == {"expired"}


def test_network_reads_shared_documents_only_while_netwerk_consent_is_complete(
    db: Session, household: Household
) -> None:
    oma = household.places["oma"]
    plan = next(
        d
        for d in documents.documents_for_user(
            db, user=household.users["aanspreekpunt"], case_id=household.case_id
        )
        if d.document.section == "plan"
    ).document
    assert documents.access_for(oma, plan) is None
    assert documents.access_for(oma, plan, consented={"netwerk"}) == "view"
    veiligheid = documents.Document(case_id=household.case_id, section="veiligheid")
    assert documents.access_for(oma, veiligheid, consented={"netwerk"}) is None
    assert documents.access_for(oma, plan, consented={"school"}) is None


def test_decisions_at_the_same_moment_never_fork_a_consent_line(
    db: Session, household: Household, settings
) -> None:  # type: ignore[no-untyped-def]
    import threading

    from app.db import make_engine

    _give(db, household, "jongere", AGE_14)
    youth = household.users["jongere"]
    start = threading.Barrier(6)
    failures: list[BaseException] = []

    def decide(decision: str) -> None:
        engine = make_engine(settings.database_url)
        try:
            with Session(engine) as session:
                start.wait()
                consent.decide(
                    session,
                    user=youth,
                    case_id=household.case_id,
                    audience="school",
                    decision=decision,
                    bus=AccessBus(),
                    on=AGE_14,
                )
        except Conflict:
            pass  # withdrawing what was just withdrawn: refused, fine
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)
        finally:
            engine.dispose()

    threads = [
        threading.Thread(target=decide, args=("withdrawn" if n % 2 else "given",)) for n in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    db.expire_all()
    line = db.exec(
        select(Consent).where(Consent.case_id == household.case_id, Consent.audience == "school")
    ).all()
    previous = [row.previous_id for row in line if row.previous_id is not None]
    assert len(previous) == len(set(previous))  # every version follows exactly one other
    assert sorted(row.version for row in line) == list(range(1, len(line) + 1))
