"""Quotas of the sync server: one connection that floods, oversizes or multiplies is stopped
with its own close code, and the others in the room carry on."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from pycrdt import Text
from sqlalchemy import text as text_sql
from sqlmodel import Session

from app.crdt.protocol import AwarenessEntry, awareness_message
from app.crdt.server import RoomServer
from app.models import Section
from tests.conftest import Family
from tests.crdt.conftest import Connect, doc_id_of
from tests.crdt.yclient import YClient, expect_close


def test_a_connection_that_floods_messages_is_closed_with_4429(
    connect: Connect, family: Family, db: Session, rooms: RoomServer
) -> None:
    rooms.limits.max_messages_per_second = 5.0  # a burst of 25
    doc_id = doc_id_of(db, family, Section.analyse)
    with (
        connect(family.user("specialist"), doc_id) as ws_calm,
        connect(family.user("moeder"), doc_id) as ws_flood,
    ):
        calm = YClient(ws_calm).sync()
        flood = YClient(ws_flood).sync()
        for clock in range(1, 200):
            ws_flood.send_bytes(
                awareness_message([AwarenessEntry(flood.client_id, clock, {"cursor": clock})])
            )
        assert expect_close(ws_flood) == 4429
        calm.type("rustig verder")
        calm.barrier()
        assert calm.content() == "rustig verder"


def test_typing_fast_stays_under_the_default_message_rate(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    with connect(family.user("jongere"), doc_id) as ws:
        client = YClient(ws).sync()
        # 20 keystrokes a second for 5 s, each an update plus a cursor move: 200 messages.
        for n in range(100):
            client.type("a")
            ws.send_bytes(awareness_message([AwarenessEntry(client.client_id, n + 1, {"c": n})]))
        client.barrier()
        assert client.content() == "a" * 100


def test_an_oversized_presence_is_closed_with_4413_and_never_relayed(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    with (
        connect(family.user("specialist"), doc_id) as ws_other,
        connect(family.user("moeder"), doc_id) as ws_big,
    ):
        other = YClient(ws_other).sync()
        big = YClient(ws_big).sync()
        ws_big.send_bytes(
            awareness_message([AwarenessEntry(big.client_id, 1, {"junk": "x" * 900 * 1024})])
        )
        assert expect_close(ws_big) == 4413
        other.barrier()
        assert big.client_id not in other.awareness


def test_presence_is_relayed_at_most_ten_times_a_second_and_the_newest_arrives(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    with (
        connect(family.user("specialist"), doc_id) as ws_watch,
        connect(family.user("jongere"), doc_id) as ws_fast,
    ):
        watcher = YClient(ws_watch).sync()
        fast = YClient(ws_fast).sync()
        received: list[int] = []
        original = watcher.handle

        def counting(data: bytes) -> None:
            before = watcher.awareness.get(fast.client_id)
            original(data)
            after = watcher.awareness.get(fast.client_id)
            if after is not None and after != before:
                received.append(after["cursor"])

        watcher.handle = counting  # type: ignore[method-assign]
        started = time.monotonic()
        for n in range(1, 41):
            ws_fast.send_bytes(
                awareness_message([AwarenessEntry(fast.client_id, n, {"cursor": n})])
            )
        watcher.pump_until(lambda: received[-1:] == [40])
        elapsed = time.monotonic() - started
        assert len(received) <= elapsed * 10 + 2
        assert len(received) < 40


def test_growth_past_the_document_limit_is_refused_with_4507_and_deleting_still_works(
    connect: Connect, family: Family, db: Session, rooms: RoomServer
) -> None:
    rooms.limits.max_document_bytes = 64 * 1024
    doc_id = doc_id_of(db, family, Section.analyse)
    with connect(family.user("specialist"), doc_id) as ws:
        writer = YClient(ws).sync()
        writer.type("x" * 40_000)
        writer.barrier()
        writer.type("y" * 30_000)
        assert expect_close(ws) == 4507
    with connect(family.user("specialist"), doc_id) as ws:
        again = YClient(ws).sync()
        assert again.content() == "x" * 40_000
        again.change(lambda doc: doc.get("krachten", type=Text).__delitem__(slice(0, 10_000)))
        again.barrier()
        assert len(again.content()) == 30_000


def test_one_account_cannot_open_more_sockets_than_the_limit(
    connect: Connect, family: Family, db: Session, rooms: RoomServer
) -> None:
    rooms.limits.max_connections_per_user = 3
    doc_id = doc_id_of(db, family, Section.analyse)
    user = family.user("moeder")
    with connect(user, doc_id) as a, connect(user, doc_id) as b, connect(user, doc_id) as c:
        for ws in (a, b, c):
            YClient(ws).sync()
        with connect(user, doc_id) as fourth:
            assert expect_close(fourth) == 4430
        with connect(family.user("jongere"), doc_id) as someone_else:
            YClient(someone_else).sync()
    with connect(user, doc_id) as after_closing:
        YClient(after_closing).sync()


def _fail_stores(db: Session, on: bool) -> None:
    """Make every insert into the update log fail in the database itself (or stop that)."""
    postgres = db.get_bind().dialect.name == "postgresql"
    if on and postgres:
        db.exec(
            text_sql(
                "CREATE OR REPLACE FUNCTION eenplan_fail() RETURNS trigger AS $$ "
                "BEGIN RAISE EXCEPTION 'disk full'; END; $$ LANGUAGE plpgsql"
            )
        )
        db.exec(
            text_sql(
                "CREATE TRIGGER eenplan_fail BEFORE INSERT ON document_updates "
                "FOR EACH ROW EXECUTE FUNCTION eenplan_fail()"
            )
        )
    elif on:
        db.exec(
            text_sql(
                "CREATE TRIGGER eenplan_fail BEFORE INSERT ON document_updates "
                "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
        )
    elif postgres:
        db.exec(text_sql("DROP TRIGGER eenplan_fail ON document_updates"))
    else:
        db.exec(text_sql("DROP TRIGGER eenplan_fail"))
    db.commit()


def test_a_failed_store_refuses_the_change_to_its_sender_alone_who_sends_it_again(
    connect: Connect, family: Family, db: Session, client: TestClient
) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    with (
        connect(family.user("specialist"), doc_id) as ws_a,
        connect(family.user("jongere"), doc_id) as ws_b,
    ):
        a, b = YClient(ws_a).sync(), YClient(ws_b).sync()
        a.type("een ")
        a.barrier()
        b.barrier()
        _fail_stores(db, True)
        try:
            b.type("twee")
            assert expect_close(ws_b) == 1013
            a.barrier()
            assert a.content() == "een "  # never relayed unstored
            assert client.get("/healthz").status_code == 503
        finally:
            _fail_stores(db, False)
        with connect(family.user("jongere"), doc_id) as ws_again:
            # The editor keeps the change and sends it again when it reconnects.
            again = YClient(ws_again)
            again.doc, again.text = b.doc, b.text
            again.sync()
            again.barrier()
        a.pump_until(lambda: a.content() == "een twee")
    assert client.get("/healthz").status_code == 200
