"""The document WebSocket as people use it: sync, rights per connection, refusals."""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, Text
from sqlmodel import Session, select

from app.crdt.protocol import create_update_message
from app.crdt.server import RoomServer
from app.crdt.store import merge_into_doc
from app.models import DocumentUpdate, Section
from tests.conftest import Family
from tests.crdt.conftest import Connect, doc_id_of
from tests.crdt.yclient import YClient, expect_close


def stored_text(db: Session, doc_id: str, field: str = "krachten") -> str:
    db.expire_all()
    rows = db.exec(
        select(DocumentUpdate)
        .where(DocumentUpdate.document_id == doc_id)
        .order_by(DocumentUpdate.id)  # type: ignore[arg-type]
    ).all()
    return str(merge_into_doc(r.update for r in rows).get(field, type=Text))


def test_two_editors_converge(connect: Connect, family: Family, db: Session) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    with (
        connect(family.user("aanspreekpunt"), doc_id) as ws_a,
        connect(family.user("jongere"), doc_id) as ws_b,
    ):
        a, b = YClient(ws_a).sync(), YClient(ws_b).sync()
        a.type("Wat gaat goed: ")
        b.type("school.")
        b.barrier()
        a.pump_until(lambda: "school." in a.content())
        b.pump_until(lambda: "Wat gaat goed" in b.content())
        assert a.content() == b.content()
        assert len(a.content()) == len("Wat gaat goed: school.")


def test_a_late_joiner_receives_the_document(connect: Connect, family: Family, db: Session) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    with connect(family.user("aanspreekpunt"), doc_id) as ws_a:
        a = YClient(ws_a).sync()
        a.type("Doel 1: een stageplek.")
        a.barrier()
        with connect(family.user("moeder"), doc_id) as ws_b:
            b = YClient(ws_b).sync()
            assert b.content() == "Doel 1: een stageplek."


def test_every_committed_update_is_stored_with_its_author(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    with connect(family.user("specialist"), doc_id) as ws:
        client = YClient(ws).sync()
        client.type("Zorgen: ")
        client.type("slaapt slecht.")
        client.barrier()
    rows = db.exec(select(DocumentUpdate).where(DocumentUpdate.document_id == doc_id)).all()
    assert len(rows) == 2
    assert {r.author_user_id for r in rows} == {family.user("specialist").id}
    assert stored_text(db, doc_id) == "Zorgen: slaapt slecht."


def test_view_only_write_is_dropped_nobody_sees_it_and_it_is_not_stored(
    connect: Connect, family: Family, db: Session
) -> None:
    # The youth's own story: she edits, her mother (with gezag) only reads.
    doc_id = doc_id_of(db, family, Section.verhaal, owner="jongere")
    with (
        connect(family.user("jongere"), doc_id) as ws_editor,
        connect(family.user("moeder"), doc_id) as ws_viewer,
    ):
        editor = YClient(ws_editor, field="hulpvraag").sync()
        viewer = YClient(ws_viewer, field="hulpvraag").sync()
        editor.type("Afspraak: ")
        editor.barrier()
        viewer.pump_until(lambda: viewer.content() == "Afspraak: ")
        viewer.type("VERVALSING")
        viewer.barrier()  # the server handled the write before answering this
        editor.type("bellen bij zorgen.")
        editor.barrier()
        viewer.pump_until(lambda: "bellen" in viewer.content())

        fresh = YClient(ws_editor, field="hulpvraag")
        fresh.barrier()  # a full copy of the server's document
        assert fresh.content() == "Afspraak: bellen bij zorgen."
        assert "VERVALSING" not in editor.content()
    assert stored_text(db, doc_id, "hulpvraag") == "Afspraak: bellen bij zorgen."


def test_view_only_sync_step2_is_not_applied(connect: Connect, family: Family, db: Session) -> None:
    doc_id = doc_id_of(db, family, Section.verhaal, owner="jongere")
    offline = Doc()
    offline.get("hulpvraag", type=Text).insert(0, "geschreven zonder recht")
    with connect(family.user("moeder"), doc_id) as ws:  # reads the youth's story, no more
        viewer = YClient(ws, field="hulpvraag")
        viewer.doc.apply_update(offline.get_update())
        viewer.sync()  # answers the server's SyncStep1 with its own content (SyncStep2)
        viewer.barrier()
    assert stored_text(db, doc_id) == ""


def test_signed_out_handshake_is_refused_with_4401(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    with connect(None, doc_id) as ws:
        assert expect_close(ws, ignore_data=False) == 4401


def test_stranger_is_refused_with_4403(connect: Connect, family: Family, db: Session) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    with connect(family.user("vreemde"), doc_id) as ws:
        assert expect_close(ws, ignore_data=False) == 4403


def test_participant_without_access_to_the_document_is_refused_with_4403(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.veiligheid)
    with connect(family.user("oma"), doc_id) as ws:
        assert expect_close(ws, ignore_data=False) == 4403


def test_unknown_document_is_refused_with_4403(connect: Connect, family: Family) -> None:
    with connect(family.user("aanspreekpunt"), "0" * 32) as ws:
        assert expect_close(ws, ignore_data=False) == 4403


def test_cross_site_handshake_is_refused_with_4403(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    with connect(family.user("aanspreekpunt"), doc_id, origin="https://evil.example") as ws:
        assert expect_close(ws, ignore_data=False) == 4403


def _room_keeps_working_for(editor: YClient, other: YClient, text: str) -> None:
    editor.type(text)
    editor.barrier()
    other.pump_until(lambda: text in other.content())


def test_malformed_message_closes_only_that_connection_with_1007(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    with (
        connect(family.user("aanspreekpunt"), doc_id) as ws_a,
        connect(family.user("jongere"), doc_id) as ws_b,
        connect(family.user("moeder"), doc_id) as ws_bad,
    ):
        a, b = YClient(ws_a).sync(), YClient(ws_b).sync()
        YClient(ws_bad).sync()
        ws_bad.send_bytes(b"\x00\x02\xff\xff\xff")  # an update whose length runs past the end
        assert expect_close(ws_bad) == 1007
        _room_keeps_working_for(a, b, "nog steeds goed")


def test_update_that_pycrdt_rejects_closes_that_connection_with_1007(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    with (
        connect(family.user("aanspreekpunt"), doc_id) as ws_a,
        connect(family.user("jongere"), doc_id) as ws_b,
        connect(family.user("moeder"), doc_id) as ws_bad,
    ):
        a, b = YClient(ws_a).sync(), YClient(ws_b).sync()
        YClient(ws_bad).sync()
        ws_bad.send_bytes(create_update_message(b"\x01\x02garbage"))
        assert expect_close(ws_bad) == 1007
        _room_keeps_working_for(a, b, "werkt")


def test_text_frame_closes_only_that_connection_with_1003(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    with (
        connect(family.user("aanspreekpunt"), doc_id) as ws_a,
        connect(family.user("jongere"), doc_id) as ws_b,
        connect(family.user("moeder"), doc_id) as ws_bad,
    ):
        a, b = YClient(ws_a).sync(), YClient(ws_b).sync()
        ws_bad.send_text("hallo")
        assert expect_close(ws_bad) == 1003
        _room_keeps_working_for(a, b, "tekst")


def test_oversized_message_closes_only_that_connection_with_1009(
    connect: Connect, family: Family, db: Session, rooms: RoomServer
) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    limit = rooms.limits.max_message_bytes
    with (
        connect(family.user("aanspreekpunt"), doc_id) as ws_a,
        connect(family.user("jongere"), doc_id) as ws_b,
        connect(family.user("moeder"), doc_id) as ws_bad,
    ):
        a, b = YClient(ws_a).sync(), YClient(ws_b).sync()
        big = Doc()
        big.get("krachten", type=Text).insert(0, "x" * limit)
        ws_bad.send_bytes(create_update_message(big.get_update()))
        assert expect_close(ws_bad) == 1009
        _room_keeps_working_for(a, b, "klein")
    assert "x" * 100 not in stored_text(db, doc_id)


def test_a_bad_document_does_not_disturb_another(
    connect: Connect, family: Family, db: Session
) -> None:
    analyse = doc_id_of(db, family, Section.analyse)
    plan = doc_id_of(db, family, Section.plan)
    with (
        connect(family.user("aanspreekpunt"), analyse) as ws_a,
        connect(family.user("jongere"), analyse) as ws_b,
        connect(family.user("moeder"), plan) as ws_bad,
    ):
        a, b = YClient(ws_a).sync(), YClient(ws_b).sync()
        ws_bad.send_bytes(b"\x07")
        assert expect_close(ws_bad) in (1003, 1007)
        _room_keeps_working_for(a, b, "analyse werkt")


def _a_real_panic() -> BaseException:
    doc = Doc()
    text = doc.get("krachten", type=Text)
    text.insert(0, "ab")
    try:
        del text[0:50]  # pycrdt panics (a BaseException) on this local misuse
    except BaseException as exc:
        return exc
    raise AssertionError("expected a panic")


def test_a_pycrdt_panic_costs_only_the_update_that_caused_it(
    connect: Connect, family: Family, db: Session, rooms: RoomServer, monkeypatch: Any
) -> None:
    panic = _a_real_panic()
    assert not isinstance(panic, Exception)
    doc_id = doc_id_of(db, family, Section.analyse)
    with connect(family.user("aanspreekpunt"), doc_id) as ws_a:
        a = YClient(ws_a).sync()
        a.type("bewaard")
        a.barrier()
        room = rooms.rooms[doc_id]
        with connect(family.user("jongere"), doc_id) as ws_bad:
            bad = YClient(ws_bad).sync()

            def explode(*_args: object) -> None:
                raise panic

            # The update reaches pycrdt only in the room's shadow copy, which panics.
            monkeypatch.setattr(room.shadow.doc, "apply_update", explode)
            bad.type(" kapot")
            assert expect_close(ws_bad) == 1007
        # Everyone else stays, and the room goes on from what is stored.
        a.type(", en verder")
        a.barrier()
        assert rooms.rooms[doc_id] is room and not room.broken
    assert stored_text(db, doc_id) == "bewaard, en verder"


def test_typing_before_the_offline_work_arrived_loses_nothing(
    connect: Connect, family: Family, db: Session
) -> None:
    """A reconnecting editor sends what is typed during the handshake before its offline work:
    the server asks for what it lacks instead of refusing, and keeps both."""
    doc_id = doc_id_of(db, family, Section.analyse)
    with connect(family.user("jongere"), doc_id) as ws:
        client = YClient(ws).sync()
        offline = client.doc.get_state()
        client.text += "Offline geschreven. "  # never sent
        typed = client.doc.get_state()
        client.text += "Net getypt."
        ws.send_bytes(create_update_message(client.doc.get_update(typed)))
        client.barrier()  # the server's SyncStep1 came first; our answer held both
        client.barrier()
        assert offline != typed
        assert client.closed_with is None
    assert stored_text(db, doc_id) == "Offline geschreven. Net getypt."
