"""A live document connection rides on one sign-in and counts only while that sign-in does:
signing out (here or everywhere), a new password and a reset close it; it needs two-factor
sign-in exactly when the pages do; and when someone's role changes, the field rules follow
the new role on connections that were already open."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.crdt.server import RoomServer
from app.models import Section
from app.security import SESSION_COOKIE
from app.services import participants
from app.settings import Settings
from tests.conftest import ORIGIN, PASSWORD, Family, live_session_token
from tests.crdt.conftest import doc_id_of
from tests.crdt.test_field_rules import SCORE_ROOT, change, score, set_score, stored
from tests.crdt.yclient import YClient, eventually, expect_close


def _socket(client: TestClient, token: str, doc_id: str):  # type: ignore[no-untyped-def]
    headers = {"cookie": f"{SESSION_COOKIE}={token}", "origin": ORIGIN}
    return client.websocket_connect(f"/ws/docs/{doc_id}", headers=headers)


def _as(client: TestClient, token: str) -> TestClient:
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, token)
    return client


def _change_role(
    db: Session, app: FastAPI, family: Family, who: str, role: str, gezag: bool
) -> None:
    participants.change_participant(
        db,
        actor=family.user("aanspreekpunt"),
        case_id=family.case.id,
        participant_id=family.places[who].id,  # type: ignore[arg-type]
        role=role,
        gezag=gezag,
        safety_closed=False,
        bus=app.state.access_bus,
    )


def test_signing_out_closes_the_documents_that_sign_in_had_open(
    client: TestClient, family: Family, db: Session, settings: Settings
) -> None:
    token = live_session_token(db, family.user("moeder"), settings)
    with _socket(client, token, doc_id_of(db, family, Section.analyse)) as ws:
        YClient(ws).sync()
        assert _as(client, token).post("/logout").status_code == 303
        assert expect_close(ws) == 4401


def test_signing_out_everywhere_else_closes_the_other_devices_but_not_this_one(
    client: TestClient, family: Family, db: Session, settings: Settings
) -> None:
    moeder = family.user("moeder")
    phone, laptop = (live_session_token(db, moeder, settings) for _ in range(2))
    doc_id = doc_id_of(db, family, Section.analyse)
    with _socket(client, phone, doc_id) as on_phone, _socket(client, laptop, doc_id) as here:
        YClient(on_phone).sync()
        kept = YClient(here).sync()
        ended = _as(client, laptop).post(
            "/account/sessies/overal-uitloggen", data={"bevestigd": "ja"}
        )
        assert ended.status_code == 303
        assert expect_close(on_phone) == 4401
        kept.type("nog steeds hier")
        kept.barrier()
        assert kept.closed_with is None


def test_a_new_password_closes_the_documents_of_every_other_sign_in(
    client: TestClient, family: Family, db: Session, settings: Settings
) -> None:
    moeder = family.user("moeder")
    elsewhere, here = (live_session_token(db, moeder, settings) for _ in range(2))
    with _socket(client, elsewhere, doc_id_of(db, family, Section.plan)) as ws:
        YClient(ws).sync()
        changed = _as(client, here).post(
            "/account/wachtwoord",
            data={
                "current_password": PASSWORD,
                "new_password": "een heel nieuwe lange zin",
                "new_password_again": "een heel nieuwe lange zin",
            },
        )
        assert changed.status_code in (200, 303), changed.text
        assert expect_close(ws) == 4401


def test_a_socket_needs_two_factor_sign_in_exactly_when_the_pages_do(
    client: TestClient, family: Family, db: Session, settings: Settings, app: FastAPI
) -> None:
    moeder = family.user("moeder")
    token = live_session_token(db, moeder, settings)  # a parent: the password is enough
    doc_id = doc_id_of(db, family, Section.perspectief)
    with _socket(client, token, doc_id) as already_open:
        YClient(already_open).sync()
        _change_role(db, app, family, "moeder", "specialist", gezag=False)
        # Specialists must sign in with a code: the password-only sign-in opens nothing now.
        assert expect_close(already_open) == 4401
    with _socket(client, token, doc_id) as new:
        assert expect_close(new) == 4401


def test_after_a_role_change_an_open_connection_follows_the_new_roles_field_rules(
    connect,  # type: ignore[no-untyped-def]
    family: Family,
    db: Session,
    app: FastAPI,
    rooms: RoomServer,
) -> None:
    doc_id = doc_id_of(db, family, Section.perspectief)
    specialist = family.user("specialist")
    with connect(specialist, doc_id) as ws:
        client = YClient(ws, field=f"{SCORE_ROOT}.huidige_situatie").sync()
        change(client, set_score(3))
        client.barrier()
        assert score(stored(db, doc_id)) == 3
        # a parent with gezag edits the perspectief, but not the score
        _change_role(db, app, family, "specialist", "ouder", gezag=True)
        room = rooms.rooms[doc_id]
        eventually(
            lambda: all(
                c.identity.role == "ouder"
                for c in room.connections
                if c.identity.user_id == specialist.id
            )
        )
        change(client, set_score(1))
        client.barrier()
    assert score(stored(db, doc_id)) == 3
