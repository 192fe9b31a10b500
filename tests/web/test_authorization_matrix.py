"""Each role, a stranger and a removed participant × each page and action."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.services import participants
from app.services.access_bus import AccessBus
from tests.conftest import Family, sign_in

MEMBERS = ["aanspreekpunt", "jongere", "moeder", "vader", "specialist", "oma"]
EVERYONE = [*MEMBERS, "vreemde", "verwijderd"]


def _as(client: TestClient, family: Family, db: Session, who: str) -> TestClient:
    if who == "verwijderd":
        participants.remove_participant(
            db,
            actor=family.user("aanspreekpunt"),
            case_id=family.case.id,
            participant_id=family.places["specialist"].id,  # type: ignore[arg-type]
            bus=AccessBus(),
        )
        return sign_in(client, family.user("specialist"))
    return sign_in(client, family.user(who))


@pytest.mark.parametrize("who", EVERYONE)
def test_case_overview_is_only_for_active_participants(
    client: TestClient, family: Family, db: Session, who: str
) -> None:
    _as(client, family, db, who)
    response = client.get(f"/cases/{family.case.id}")
    if who in MEMBERS:
        assert response.status_code == 200
        assert family.case.label in response.text
    else:
        assert response.status_code == 404
        assert family.case.label not in response.text


@pytest.mark.parametrize("who", EVERYONE)
def test_managing_participants_is_only_for_the_aanspreekpunt(
    client: TestClient, family: Family, db: Session, who: str
) -> None:
    _as(client, family, db, who)
    page = client.get(f"/cases/{family.case.id}/deelnemers")
    invite = client.post(
        f"/cases/{family.case.id}/uitnodigingen",
        data={"email": "nieuw@voorbeeld.nl", "role": "netwerk"},
    )
    change = client.post(
        f"/cases/{family.case.id}/deelnemers/{family.places['moeder'].id}",
        data={"role": "netwerk"},
    )
    remove = client.post(
        f"/cases/{family.case.id}/deelnemers/{family.places['oma'].id}/verwijderen",
        data={"bevestigd": "ja"},
    )
    if who == "aanspreekpunt":
        assert (page.status_code, invite.status_code) == (200, 201)
        assert (change.status_code, remove.status_code) == (303, 303)
    elif who in MEMBERS:
        assert {page.status_code, invite.status_code, change.status_code, remove.status_code} == {
            403
        }
    else:
        assert {page.status_code, invite.status_code, change.status_code, remove.status_code} == {
            404
        }


@pytest.mark.parametrize("who", EVERYONE)
def test_document_list_follows_the_role(
    client: TestClient, family: Family, db: Session, who: str
) -> None:
    _as(client, family, db, who)
    response = client.get(f"/api/cases/{family.case.id}/documents")
    if who not in MEMBERS:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    access = {d["section"]: d["access"] for d in response.json()}
    me = family.places[who].id
    assert access[f"verhaal/{me}"] == "edit"
    expected = {
        "aanspreekpunt": {
            "analyse": "edit",
            "plan": "edit",
            "perspectief": "edit",
            "veiligheid": "edit",
        },
        "specialist": {
            "analyse": "edit",
            "plan": "edit",
            "perspectief": "edit",
            "veiligheid": "edit",
        },
        "jongere": {"analyse": "edit", "plan": "edit", "perspectief": "edit", "veiligheid": "view"},
        "moeder": {"analyse": "edit", "plan": "edit", "perspectief": "edit", "veiligheid": "view"},
        "vader": {},  # a parent without gezag sees nothing shared without consent
        "oma": {},  # netwerk reads only what consent allows
    }[who]
    shared = {k: v for k, v in access.items() if not k.startswith("verhaal/")}
    assert shared == expected
    stories = {k: v for k, v in access.items() if k.startswith("verhaal/")}
    # own stories, by default: the professionals and the family with gezag read everyone's;
    # a parent without gezag and the network only their own
    assert len(stories) == (1 if who in ("vader", "oma") else len(MEMBERS))
    for section, right in stories.items():
        if section != f"verhaal/{me}":
            assert right == ("edit" if who == "aanspreekpunt" else "view")


@pytest.mark.parametrize("who", ["vreemde", "verwijderd"])
def test_unknown_and_hidden_cases_look_the_same(
    client: TestClient, family: Family, db: Session, who: str
) -> None:
    _as(client, family, db, who)
    hidden = client.get(f"/cases/{family.case.id}")
    unknown = client.get("/cases/00000000000000000000000000000000")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.text == unknown.text
