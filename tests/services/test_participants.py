"""Adding and removing people: the database keeps one active place per person per case."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.models import Role
from app.services import membership, participants
from app.services.access_bus import AccessBus
from tests.conftest import Family


def test_the_database_refuses_a_second_active_place_for_the_same_person_in_a_case(
    db: Session, family: Family
) -> None:
    oma = family.user("oma")
    with pytest.raises(IntegrityError):
        participants.add_participant(db, case=family.case, user=oma, role=Role.netwerk)
    db.rollback()
    places = membership.active_places(db, user_id=oma.id, case_id=family.case.id)  # type: ignore[arg-type]
    assert [p.id for p in places] == [family.places["oma"].id]


def test_someone_removed_from_a_case_can_be_added_again(db: Session, family: Family) -> None:
    oma = family.user("oma")
    participants.remove_participant(
        db,
        actor=family.user("aanspreekpunt"),
        case_id=family.case.id,
        participant_id=family.places["oma"].id,  # type: ignore[arg-type]
        bus=AccessBus(),
    )
    again = participants.add_participant(db, case=family.case, user=oma, role=Role.netwerk)
    db.commit()
    places = membership.active_places(db, user_id=oma.id, case_id=family.case.id)  # type: ignore[arg-type]
    assert [p.id for p in places] == [again.id]
