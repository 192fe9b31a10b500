"""Who takes part in a case: the leaf every other service builds on."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.models import Role, utcnow
from app.services import membership
from app.services.errors import Forbidden, NotFound
from tests.conftest import Family, make_user


def test_the_named_role_sets_cover_every_role_once() -> None:
    assert {Role.jongere, Role.ouder} == membership.FAMILY_ROLES
    assert {Role.jongere, Role.ouder, Role.netwerk} == membership.FAMILY_AND_NETWORK_ROLES
    assert set(Role) == membership.PROFESSIONAL_ROLES | membership.FAMILY_AND_NETWORK_ROLES
    assert not membership.PROFESSIONAL_ROLES & membership.FAMILY_AND_NETWORK_ROLES
    assert set(membership.ROLE_LABELS) == set(Role)


def test_role_labels_also_name_actors_that_are_no_role() -> None:
    assert membership.role_label("ouder") == "Ouder of verzorger"
    assert membership.role_label("school") == "School"
    assert membership.role_label("iets anders") == "iets anders"


def test_only_the_aanspreekpunt_passes_and_strangers_get_not_found(
    db: Session, family: Family
) -> None:
    case_id = family.case.id
    place = membership.require_aanspreekpunt(db, user=family.user("aanspreekpunt"), case_id=case_id)
    assert place.role == Role.aanspreekpunt
    with pytest.raises(Forbidden):
        membership.require_aanspreekpunt(db, user=family.user("moeder"), case_id=case_id)
    with pytest.raises(NotFound):
        membership.active_participant(db, user=make_user(db, "Vreemde"), case_id=case_id)


def test_names_of_active_members_and_of_everyone_who_ever_took_part(
    db: Session, family: Family
) -> None:
    vader = family.places["vader"]
    vader.active_to = utcnow()
    db.add(vader)
    db.commit()
    members = membership.active_members(db, case_id=family.case.id)
    assert vader.id not in membership.names_of(members)
    assert membership.names_of(members)[family.places["jongere"].id] == "Jongere"  # type: ignore[index]
    assert membership.participant_names(db, case_id=family.case.id)[vader.id] == "Vader"  # type: ignore[index]
    assert [m.participant.role for m in members] == sorted(
        (m.participant.role for m in members), key=list(Role).index
    )
