"""Presence (awareness) is tied to the signed-in identity."""

from __future__ import annotations

from sqlmodel import Session

from app.crdt.server import RoomServer
from app.models import Section
from tests.conftest import Family
from tests.crdt.conftest import Connect, doc_id_of
from tests.crdt.yclient import YClient


def test_awareness_is_rewritten_with_the_servers_name_and_role(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    with (
        connect(family.user("jongere"), doc_id) as ws_a,
        connect(family.user("specialist"), doc_id) as ws_b,
    ):
        a, b = YClient(ws_a).sync(), YClient(ws_b).sync()
        a.announce({"user": {"name": "Wendy WIJ", "role": "aanspreekpunt"}, "cursor": 7})
        b.pump_until(lambda: a.client_id in b.awareness)
        state = b.awareness[a.client_id]
        assert state is not None
        assert state["user"]["name"] == family.user("jongere").name
        assert state["user"]["role"] == "jongere"
        assert state["user"]["color"].startswith("#")
        assert state["cursor"] == 7  # the rest of the state passes unchanged


def test_a_connection_cannot_speak_for_another_clients_id(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    with (
        connect(family.user("jongere"), doc_id) as ws_a,
        connect(family.user("specialist"), doc_id) as ws_b,
        connect(family.user("moeder"), doc_id) as ws_c,
    ):
        a, b, c = YClient(ws_a).sync(), YClient(ws_b).sync(), YClient(ws_c).sync()
        a.announce({"cursor": 1})
        c.pump_until(lambda: a.client_id in c.awareness)
        b.announce({"cursor": 99}, client_id=a.client_id, clock=5)  # poses as a
        b.announce(None, client_id=a.client_id, clock=6)  # tries to remove a
        b.announce({"cursor": 2})  # b's own state, sent after the forgeries
        c.pump_until(lambda: b.client_id in c.awareness)
        state = c.awareness[a.client_id]
        assert state is not None
        assert state["cursor"] == 1
        assert state["user"]["name"] == family.user("jongere").name


def test_late_joiner_gets_who_is_present(connect: Connect, family: Family, db: Session) -> None:
    doc_id = doc_id_of(db, family, Section.plan)
    with connect(family.user("jongere"), doc_id) as ws_a:
        a = YClient(ws_a).sync()
        a.announce({"cursor": 3})
        a.pump_until(lambda: a.client_id in a.awareness)  # our own state comes back rewritten
        with connect(family.user("moeder"), doc_id) as ws_b:
            b = YClient(ws_b).sync()  # the snapshot comes before the sync answer
            assert b.awareness[a.client_id] is not None
            assert b.awareness[a.client_id]["user"]["name"] == family.user("jongere").name


def test_leaving_removes_presence_for_the_others(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.plan)
    with connect(family.user("jongere"), doc_id) as ws_a:
        a = YClient(ws_a).sync()
        with connect(family.user("moeder"), doc_id) as ws_b:
            b = YClient(ws_b).sync()
            b.announce({"cursor": 1})
            a.pump_until(lambda: a.awareness.get(b.client_id) is not None)
        a.pump_until(lambda: a.awareness.get(b.client_id, {}) is None)


def test_viewers_are_present_too(connect: Connect, family: Family, db: Session) -> None:
    doc_id = doc_id_of(db, family, Section.veiligheid)
    with (
        connect(family.user("specialist"), doc_id) as ws_a,
        connect(family.user("moeder"), doc_id) as ws_b,
    ):
        a, b = YClient(ws_a).sync(), YClient(ws_b).sync()
        b.announce({"cursor": 4})
        a.pump_until(lambda: a.awareness.get(b.client_id) is not None)
        assert a.awareness[b.client_id]["user"]["role"] == "ouder"  # type: ignore[index]


def test_an_older_awareness_clock_does_not_overwrite_a_newer_state(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.plan)
    with connect(family.user("jongere"), doc_id) as ws_a:
        a = YClient(ws_a).sync()
        a.announce({"cursor": 1}, clock=3)
        a.announce({"cursor": 2}, clock=2)
        a.barrier()
        assert a.awareness[a.client_id]["cursor"] == 1  # type: ignore[index]


def test_a_notice_of_the_server_reaches_everyone_who_has_the_document_open_and_then_goes(
    connect: Connect, family: Family, db: Session, rooms: RoomServer
) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    with connect(family.user("jongere"), doc_id) as ws_a:
        a = YClient(ws_a).sync()
        ws_a.portal.call(
            lambda: rooms.announce(doc_id, {"kind": "restore", "by": "Wendy"}, seconds=0.2)
        )
        a.pump_until(lambda: any(s and "notice" in s for s in a.awareness.values()))
        (server_id,) = [k for k, s in a.awareness.items() if s and "notice" in s]
        state = a.awareness[server_id]
        assert state is not None
        assert state["notice"] == {"kind": "restore", "by": "Wendy"}
        assert state["user"]["role"] == "server"
        with connect(family.user("moeder"), doc_id) as ws_b:
            late = YClient(ws_b).sync()  # a late joiner sees it too
            assert late.awareness[server_id] is not None
        a.pump_until(lambda: a.awareness.get(server_id, {}) is None)
