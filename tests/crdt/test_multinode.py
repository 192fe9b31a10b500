"""Two nodes on one database: edits, presence and revocations cross over.

Each case runs with the in-process bus (two servers sharing a hub) and with Redis
(``EENPLAN_TEST_REDIS_URL``; under ``CI=true`` a missing URL is an error, not a skip).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select
from starlette.testclient import WebSocketTestSession

from app.crdt.protocol import create_update_message
from app.crdt.pubsub import InProcessHub, InProcessPubSub
from app.crdt.server import RoomServer
from app.main import create_app
from app.models import DocumentUpdate, Section, User
from app.security import SESSION_COOKIE
from app.services import participants
from app.settings import Settings
from tests.conftest import ORIGIN, Family
from tests.crdt.conftest import doc_id_of
from tests.crdt.craft import Update, state_of, string
from tests.crdt.yclient import YClient, expect_close

REDIS_URL = os.environ.get("EENPLAN_TEST_REDIS_URL")
if not REDIS_URL and os.environ.get("CI") == "true":
    raise RuntimeError("CI must set EENPLAN_TEST_REDIS_URL so the Redis tests run")


def _bus_params() -> list[object]:
    skip = [] if REDIS_URL else [pytest.mark.skip(reason="EENPLAN_TEST_REDIS_URL is not set")]
    return ["in-process", pytest.param("redis", marks=skip)]


@dataclass
class Node:
    app: FastAPI
    client: TestClient

    @property
    def rooms(self) -> RoomServer:
        server: RoomServer = self.app.state.rooms
        return server


@pytest.fixture(params=_bus_params())
def nodes(request: pytest.FixtureRequest, settings: Settings) -> Iterator[tuple[Node, Node]]:
    hub = InProcessHub()
    made = []
    for _ in range(2):
        if request.param == "redis":
            app = create_app(settings.model_copy(update={"redis_url": REDIS_URL}))
        else:
            app = create_app(settings)
            app.state.rooms.pubsub = InProcessPubSub(hub)
        made.append(app)
    with (
        TestClient(made[0], headers={"Origin": ORIGIN}) as one,
        TestClient(made[1], headers={"Origin": ORIGIN}) as two,
    ):
        yield Node(made[0], one), Node(made[1], two)


OpenOn = Callable[[Node, User, str], AbstractContextManager[WebSocketTestSession]]


@pytest.fixture
def open_on(session_token: Callable[[User], str]) -> OpenOn:
    @contextmanager
    def open_socket(node: Node, user: User, doc_id: str) -> Iterator[WebSocketTestSession]:
        headers = {"cookie": f"{SESSION_COOKIE}={session_token(user)}"}
        with node.client.websocket_connect(f"/ws/docs/{doc_id}", headers=headers) as ws:
            yield ws

    return open_socket


def test_an_edit_on_one_node_reaches_a_client_on_the_other_and_is_stored_once(
    nodes: tuple[Node, Node], open_on: OpenOn, family: Family, db: Session
) -> None:
    one, two = nodes
    doc_id = doc_id_of(db, family, Section.analyse)
    with (
        open_on(one, family.user("aanspreekpunt"), doc_id) as ws_a,
        open_on(two, family.user("jongere"), doc_id) as ws_b,
    ):
        a, b = YClient(ws_a).sync(), YClient(ws_b).sync()
        a.type("van node 1; ")
        b.pump_until(lambda: "van node 1" in b.content())
        b.type("van node 2")
        a.pump_until(lambda: "van node 2" in a.content())
        assert a.content() == b.content()
    count = db.exec(
        select(func.count()).select_from(DocumentUpdate).where(DocumentUpdate.document_id == doc_id)
    ).one()
    assert count == 2


def test_presence_crosses_nodes_with_the_servers_name(
    nodes: tuple[Node, Node], open_on: OpenOn, family: Family, db: Session
) -> None:
    one, two = nodes
    doc_id = doc_id_of(db, family, Section.plan)
    with (
        open_on(one, family.user("jongere"), doc_id) as ws_a,
        open_on(two, family.user("moeder"), doc_id) as ws_b,
    ):
        a, b = YClient(ws_a).sync(), YClient(ws_b).sync()
        a.announce({"user": {"name": "Iemand anders"}, "cursor": 5})
        b.pump_until(lambda: b.awareness.get(a.client_id) is not None)
        assert b.awareness[a.client_id]["user"]["name"] == family.user("jongere").name  # type: ignore[index]
    # leaving on node 1 is seen on node 2
    with (
        open_on(one, family.user("jongere"), doc_id) as ws_a,
        open_on(two, family.user("moeder"), doc_id) as ws_b,
    ):
        a, b = YClient(ws_a).sync(), YClient(ws_b).sync()
        a.announce({"cursor": 1})
        b.pump_until(lambda: b.awareness.get(a.client_id) is not None)
        ws_a.close()
        b.pump_until(lambda: a.client_id in b.awareness and b.awareness[a.client_id] is None)


def test_a_removal_on_one_node_closes_the_connection_on_the_other(
    nodes: tuple[Node, Node], open_on: OpenOn, family: Family, db: Session
) -> None:
    one, two = nodes
    doc_id = doc_id_of(db, family, Section.analyse)
    with (
        open_on(two, family.user("specialist"), doc_id) as ws_s,
        open_on(two, family.user("jongere"), doc_id) as ws_j,
    ):
        YClient(ws_s).sync()
        j = YClient(ws_j).sync()
        participants.remove_participant(
            db,
            actor=family.user("aanspreekpunt"),
            case_id=family.case.id,
            participant_id=family.places["specialist"].id,  # type: ignore[arg-type]
            bus=one.app.state.access_bus,  # the change happens on node 1
        )
        assert expect_close(ws_s) == 4403
        j.barrier()
        assert j.closed_with is None


def test_a_room_opened_later_on_the_other_node_has_every_edit(
    nodes: tuple[Node, Node], open_on: OpenOn, family: Family, db: Session
) -> None:
    one, two = nodes
    doc_id = doc_id_of(db, family, Section.perspectief)
    field = "domein.school_werk.huidige_situatie"
    with open_on(one, family.user("aanspreekpunt"), doc_id) as ws_a:
        a = YClient(ws_a, field=field).sync()
        for word in ("wonen ", "school ", "werk"):
            a.type(word)
            a.barrier()
        with open_on(two, family.user("jongere"), doc_id) as ws_b:
            b = YClient(ws_b, field=field).sync()
            assert b.content() == "wonen school werk"


@pytest.mark.parametrize("nodes", ["in-process"], indirect=True)
def test_after_a_gap_in_the_bus_a_node_catches_up_from_the_database_and_rechecks_rights(
    nodes: tuple[Node, Node], open_on: OpenOn, family: Family, db: Session
) -> None:
    one, two = nodes
    doc_id = doc_id_of(db, family, Section.analyse)
    bus_two = two.rooms.pubsub
    assert isinstance(bus_two, InProcessPubSub)
    with (
        open_on(one, family.user("aanspreekpunt"), doc_id) as ws_a,
        open_on(two, family.user("jongere"), doc_id) as ws_b,
        open_on(two, family.user("specialist"), doc_id) as ws_s,
    ):
        a, b = YClient(ws_a).sync(), YClient(ws_b).sync()
        YClient(ws_s).sync()
        bus_two.hub.members.remove(bus_two)  # node 2 hears nothing from here on
        a.type("gemist door node 2")
        a.barrier()
        participants.remove_participant(
            db,
            actor=family.user("aanspreekpunt"),
            case_id=family.case.id,
            participant_id=family.places["specialist"].id,  # type: ignore[arg-type]
            bus=one.app.state.access_bus,
        )
        b.barrier()
        assert b.content() == ""
        bus_two.hub.members.append(bus_two)
        ws_b.portal.call(two.rooms._after_gap)  # what the Redis bus calls once it is back
        b.pump_until(lambda: b.content() == "gemist door node 2")
        assert expect_close(ws_s) == 4403


def test_a_client_id_stays_with_its_account_on_every_node(
    nodes: tuple[Node, Node], open_on: OpenOn, family: Family, db: Session
) -> None:
    one, two = nodes
    doc_id = doc_id_of(db, family, Section.analyse)
    with (
        open_on(one, family.user("jongere"), doc_id) as ws_first,
        open_on(two, family.user("moeder"), doc_id) as ws_mother,
    ):
        first = YClient(ws_first).sync()
        mother = YClient(ws_mother).sync()
        first.type("op node 1, ")
        first.barrier()
        mother.pump_until(lambda: "op node 1" in mother.content())
        # The youth's tab moves to node 2 with the same Yjs document (and client id) …
        with open_on(two, family.user("jongere"), doc_id) as ws_moved:
            moved = YClient(ws_moved)
            moved.doc, moved.text = first.doc, first.text
            moved.sync()
            moved.type("verder op node 2")
            moved.barrier()
        # … but the mother cannot write under it, on either node.
        mother.pump_until(lambda: "verder op node 2" in mother.content())
        clock = state_of(mother.doc)[first.client_id]
        forged = Update().add(
            first.client_id, clock, string("!", origin=(first.client_id, clock - 1))
        )
        ws_mother.send_bytes(create_update_message(forged.encode()))
        assert expect_close(ws_mother) == 1007
    with open_on(one, family.user("specialist"), doc_id) as ws:
        reader = YClient(ws).sync()
        # Node 1 hears of node 2's change through the bus a moment later.
        reader.pump_until(lambda: reader.content() == "op node 1, verder op node 2")
