"""Invitations: single-use, expiring, kept in the outbox, accepted with a name and password."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, select

from app.models import Document, Invitation, OutboxMessage, Participant, Role, Section, utcnow
from app.services import accounts
from tests.conftest import ORIGIN, PASSWORD, Family, sign_in


def _invite(
    client: TestClient, family: Family, email: str, role: str = "netwerk", **extra: str
) -> str:
    sign_in(client, family.user("aanspreekpunt"))
    response = client.post(
        f"/cases/{family.case.id}/uitnodigingen", data={"email": email, "role": role, **extra}
    )
    assert response.status_code == 201, response.text
    link = re.search(r'value="(http://testserver/uitnodiging/[^"]+)"', response.text)
    assert link is not None
    client.post("/logout")
    return link.group(1).removeprefix("http://testserver")


def test_invitation_link_is_shown_and_kept_in_the_outbox(
    client: TestClient, family: Family, db: Session
) -> None:
    path = _invite(client, family, "mentor@voorbeeld.nl")
    message = db.exec(
        select(OutboxMessage).where(OutboxMessage.to_email == "mentor@voorbeeld.nl")
    ).one()
    assert path in message.body
    token = path.rsplit("/", 1)[1]
    stored = db.exec(select(Invitation)).all()
    assert all(token not in (i.token_hash) for i in stored)
    assert len(token) >= 40


def test_accepting_creates_an_account_a_place_and_an_own_story(
    client: TestClient, family: Family, db: Session
) -> None:
    path = _invite(client, family, "opa@voorbeeld.nl", "ouder", gezag="true")
    page = client.get(path)
    assert page.status_code == 200
    assert "Maak een account" in page.text
    response = client.post(
        path,
        data={
            "name": "Opa Piet",
            "password": "lange-zin-als-wachtwoord",
            "password_again": "lange-zin-als-wachtwoord",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/cases/{family.case.id}?welkom=1"
    assert "Welkom" in client.get(response.headers["location"]).text
    user = accounts.find_user_by_email(db, "opa@voorbeeld.nl")
    assert user is not None and user.name == "Opa Piet"
    place = db.exec(select(Participant).where(Participant.user_id == user.id)).one()
    assert (place.role, place.gezag) == (Role.ouder, True)
    story = db.exec(
        select(Document).where(
            Document.section == Section.verhaal, Document.owner_participant_id == place.id
        )
    ).one()
    assert story.case_id == family.case.id


def test_an_invitation_works_only_once(client: TestClient, family: Family) -> None:
    path = _invite(client, family, "eenmalig@voorbeeld.nl")
    form = {
        "name": "Een",
        "password": "lange-zin-als-wachtwoord",
        "password_again": "lange-zin-als-wachtwoord",
    }
    assert client.post(path, data=form).status_code == 303
    client.post("/logout")
    again = client.get(path)
    assert again.status_code == 410
    assert "werkt niet meer" in again.text
    assert client.post(path, data=form).status_code == 410


def test_an_expired_invitation_gets_a_clear_page(
    client: TestClient, family: Family, db: Session
) -> None:
    path = _invite(client, family, "laat@voorbeeld.nl")
    for invitation in db.exec(select(Invitation)).all():
        invitation.expires_at = utcnow() - timedelta(minutes=1)
        db.add(invitation)
    db.commit()
    response = client.get(path)
    assert response.status_code == 410
    assert "verlopen" in response.text


def test_a_revoked_invitation_no_longer_works(
    client: TestClient, family: Family, db: Session
) -> None:
    path = _invite(client, family, "ingetrokken@voorbeeld.nl")
    invitation = db.exec(select(Invitation)).one()
    sign_in(client, family.user("aanspreekpunt"))
    assert (
        client.post(
            f"/cases/{family.case.id}/uitnodigingen/{invitation.id}/intrekken",
            data={"bevestigd": "ja"},
        ).status_code
        == 303
    )
    client.post("/logout")
    assert client.get(path).status_code == 410


def test_an_unknown_invitation_token_is_404(client: TestClient) -> None:
    response = client.get("/uitnodiging/bestaat-niet")
    assert response.status_code == 404
    assert "hele link" in response.text


def test_accept_form_errors_are_dutch_and_keep_the_name(client: TestClient, family: Family) -> None:
    path = _invite(client, family, "fout@voorbeeld.nl")
    short = client.post(path, data={"name": "Kim", "password": "kort", "password_again": "kort"})
    assert short.status_code == 422
    assert "minstens 10 tekens" in short.text
    assert 'value="Kim"' in short.text
    mismatch = client.post(
        path,
        data={
            "name": "Kim",
            "password": "lange-zin-als-wachtwoord",
            "password_again": "anders-dan-dat-1",
        },
    )
    assert mismatch.status_code == 422
    assert "niet hetzelfde" in mismatch.text
    assert client.get(path).status_code == 200  # still usable after mistakes


def test_someone_with_an_account_joins_with_their_password(
    client: TestClient, family: Family
) -> None:
    oma = family.user("oma")
    sign_in(client, family.user("aanspreekpunt"))
    other = client.post("/cases", data={"label": "Gezin Twee", "youth_birth_date": "2013-03-03"})
    case_id = other.headers["location"].split("/")[2]
    response = client.post(
        f"/cases/{case_id}/uitnodigingen", data={"email": oma.email, "role": "netwerk"}
    )
    path = re.search(r'value="http://testserver(/uitnodiging/[^"]+)"', response.text).group(1)  # type: ignore[union-attr]
    client.post("/logout")
    wrong = client.post(path, data={"password": "niet-mijn-wachtwoord"})
    assert wrong.status_code == 422
    assert "klopt niet" in wrong.text
    assert client.post(path, data={"password": PASSWORD}).status_code == 303
    assert client.get(f"/cases/{case_id}").status_code == 200


def test_invite_form_validates_next_to_the_field(client: TestClient, family: Family) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    response = client.post(
        f"/cases/{family.case.id}/uitnodigingen",
        data={"email": "geen-adres", "role": "", "organisation": "WIJ"},
    )
    assert response.status_code == 422
    assert "geen geldig e-mailadres" in response.text
    assert "Kies een rol" in response.text
    assert 'value="geen-adres"' in response.text
    assert 'value="WIJ"' in response.text


def test_a_second_youth_cannot_be_invited(client: TestClient, family: Family) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    response = client.post(
        f"/cases/{family.case.id}/uitnodigingen",
        data={"email": "tweede@voorbeeld.nl", "role": "jongere"},
    )
    assert response.status_code == 422
    assert "al een jongere" in response.text


def test_inviting_the_same_address_again_replaces_the_old_link(
    client: TestClient, family: Family
) -> None:
    old = _invite(client, family, "dubbel@voorbeeld.nl")
    new = _invite(client, family, "dubbel@voorbeeld.nl")
    assert client.get(old).status_code == 410
    assert client.get(new).status_code == 200
    sign_in(client, family.user("aanspreekpunt"))
    page = client.get(f"/cases/{family.case.id}/deelnemers").text
    assert page.count("uitnodiging dubbel@voorbeeld.nl<") == 1


def test_an_invitation_opened_by_another_signed_in_account_changes_nothing(
    client: TestClient, family: Family, db: Session
) -> None:
    path = _invite(client, family, "psycholoog@voorbeeld.nl", "specialist")
    other_mother = family.user("vreemde")
    sign_in(client, other_mother)
    page = client.get(path)
    assert "psycholoog@voorbeeld.nl" in page.text
    assert "ander account" in page.text
    response = client.post(path, data={})
    assert response.status_code == 403
    assert "psycholoog@voorbeeld.nl" in response.text
    assert client.get(f"/cases/{family.case.id}").status_code == 404
    places = db.exec(select(Participant).where(Participant.user_id == other_mother.id)).all()
    assert places == []
    client.post("/logout")
    assert client.get(path).status_code == 200  # the invitee can still use it


def test_the_invited_address_signed_in_joins_with_one_click(
    client: TestClient, family: Family
) -> None:
    stranger = family.user("vreemde")
    path = _invite(client, family, stranger.email, "netwerk")
    sign_in(client, stranger)
    assert client.post(path, data={}).status_code == 303
    assert client.get(f"/cases/{family.case.id}").status_code == 200


def test_the_password_check_of_an_invitation_is_throttled(
    client: TestClient, family: Family
) -> None:
    specialist = family.user("specialist")
    sign_in(client, family.user("aanspreekpunt"))
    other = client.post("/cases", data={"label": "Gezin Drie", "youth_birth_date": "2013-03-03"})
    case_id = other.headers["location"].split("/")[2]
    response = client.post(
        f"/cases/{case_id}/uitnodigingen", data={"email": specialist.email, "role": "specialist"}
    )
    path = re.search(r'value="http://testserver(/uitnodiging/[^"]+)"', response.text).group(1)  # type: ignore[union-attr]
    client.post("/logout")
    codes = [client.post(path, data={"password": f"gok-nummer-{n}"}).status_code for n in range(6)]
    assert codes == [422] * 5 + [429]
    assert "te vaak" in client.post(path, data={"password": "nog-een-gok"}).text


def _accept_in_tabs_at_once(app, client: TestClient, path: str, tabs: int) -> list[Response]:  # type: ignore[no-untyped-def]
    """The signed-in invitee sends the accept form from ``tabs`` tabs at the same moment: each
    tab its own client (its own request, database session and thread)."""
    barrier = threading.Barrier(tabs)
    clients = [
        TestClient(
            app,
            headers={"Origin": ORIGIN},
            cookies=dict(client.cookies.items()),
            follow_redirects=False,
            raise_server_exceptions=False,
        )
        for _ in range(tabs)
    ]

    def accept(tab: TestClient) -> Response:
        barrier.wait()
        return tab.post(path, data={})

    with ThreadPoolExecutor(max_workers=tabs) as pool:
        return list(pool.map(accept, clients))


def _active_places(db: Session, family: Family, user_id: int) -> list[Participant]:
    db.expire_all()
    rows = db.exec(
        select(Participant).where(
            Participant.case_id == family.case.id, Participant.user_id == user_id
        )
    ).all()
    return [p for p in rows if p.is_active]


def test_one_invitation_accepted_in_eight_tabs_at_once_gives_one_place_and_no_error(
    app, client: TestClient, family: Family, db: Session
) -> None:
    stranger = family.user("vreemde")
    path = _invite(client, family, stranger.email, "netwerk")
    sign_in(client, stranger)
    responses = _accept_in_tabs_at_once(app, client, path, tabs=8)
    assert [r.status_code for r in responses] == [303] * 8, [r.text for r in responses]
    places = {r.headers["location"] for r in responses}
    assert places <= {f"/cases/{family.case.id}?welkom=1", f"/cases/{family.case.id}"}
    assert len(_active_places(db, family, stranger.id)) == 1  # type: ignore[arg-type]
    db.expire_all()
    invitation = db.exec(select(Invitation).where(Invitation.email == stranger.email)).one()
    assert invitation.accepted_at is not None and invitation.accepted_by_id == stranger.id


def test_someone_who_accepted_in_many_tabs_at_once_has_no_access_after_removal(
    app, client: TestClient, family: Family, db: Session
) -> None:
    stranger = family.user("vreemde")
    path = _invite(client, family, stranger.email, "netwerk")
    sign_in(client, stranger)
    _accept_in_tabs_at_once(app, client, path, tabs=8)
    place = _active_places(db, family, stranger.id)[0]  # type: ignore[arg-type]
    with TestClient(app, headers={"Origin": ORIGIN}, follow_redirects=False) as lead:
        sign_in(lead, family.user("aanspreekpunt"))
        removed = lead.post(
            f"/cases/{family.case.id}/deelnemers/{place.id}/verwijderen",
            data={"bevestigd": "ja"},
        )
        assert removed.status_code == 303
    assert _active_places(db, family, stranger.id) == []  # type: ignore[arg-type]
    assert client.get(f"/cases/{family.case.id}").status_code == 404
    assert client.get(f"/api/cases/{family.case.id}/documents").status_code == 404


def test_a_used_invitation_takes_the_signed_in_invitee_to_their_case(
    client: TestClient, family: Family
) -> None:
    stranger = family.user("vreemde")
    path = _invite(client, family, stranger.email, "netwerk")
    sign_in(client, stranger)
    assert client.post(path, data={}).status_code == 303
    for again in (client.get(path), client.post(path, data={})):
        assert again.status_code == 303
        assert again.headers["location"] == f"/cases/{family.case.id}"
