"""A participant who sends hand-made Yjs messages over the real WebSocket: each attack that
once worked is refused (1007) to its sender alone, and nobody else loses a word."""

from __future__ import annotations

from pycrdt import Array, Doc, Map, Text
from sqlmodel import Session, select

from app.crdt.protocol import create_update_message
from app.crdt.store import merge_into_doc
from app.models import DocumentUpdate, Section
from tests.conftest import Family
from tests.crdt.conftest import Connect, doc_id_of
from tests.crdt.craft import Item, Update, any_value, state_of, string
from tests.crdt.yclient import YClient, expect_close

SCORE_ROOT = "domein.wonen"
SCORE = "zelfredzaamheid"


def stored(db: Session, doc_id: str) -> Doc:
    db.expire_all()
    rows = db.exec(
        select(DocumentUpdate)
        .where(DocumentUpdate.document_id == doc_id)
        .order_by(DocumentUpdate.id)  # type: ignore[arg-type]
    ).all()
    return merge_into_doc(r.update for r in rows)


def send(client: YClient, update: bytes) -> int:
    """Send a hand-made update and return the close code it earns."""
    client.ws.send_bytes(create_update_message(update))
    return expect_close(client.ws)


def test_a_delete_aimed_at_someones_future_edits_is_refused_and_their_edits_stay(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    with connect(family.user("specialist"), doc_id) as ws_victim:
        victim = YClient(ws_victim).sync()
        victim.type("Eerste zin. ")
        victim.barrier()
        with connect(family.user("moeder"), doc_id) as ws_attacker:
            attacker = YClient(ws_attacker).sync()
            next_clock = state_of(attacker.doc)[victim.client_id]
            forged = Update().delete(victim.client_id, next_clock, 10**9).encode()
            assert send(attacker, forged) == 1007
        victim.type("Tweede zin.")
        victim.barrier()
        assert victim.content() == "Eerste zin. Tweede zin."
    assert str(stored(db, doc_id).get("krachten", type=Text)) == "Eerste zin. Tweede zin."


def test_a_parent_cannot_empty_the_professionals_score_with_a_forged_delete(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.perspectief)
    with (
        connect(family.user("specialist"), doc_id) as ws_pro,
        connect(family.user("moeder"), doc_id) as ws_parent,
    ):
        pro = YClient(ws_pro).sync()
        parent = YClient(ws_parent).sync()
        # Aimed at the score the professional is about to set.
        forged = Update().delete(pro.client_id, 0, 10**9).encode()
        assert send(parent, forged) == 1007
        pro.change(lambda doc: doc.get(SCORE_ROOT, type=Map).__setitem__(SCORE, 3.0))
        pro.barrier()
    assert stored(db, doc_id).get(SCORE_ROOT, type=Map).get(SCORE) == 3


def test_a_parents_delete_of_the_score_item_itself_is_put_back(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.perspectief)
    with (
        connect(family.user("specialist"), doc_id) as ws_pro,
        connect(family.user("moeder"), doc_id) as ws_parent,
    ):
        pro = YClient(ws_pro).sync()
        pro.change(lambda doc: doc.get(SCORE_ROOT, type=Map).__setitem__(SCORE, 3.0))
        pro.barrier()
        parent = YClient(ws_parent).sync()
        assert parent.doc.get(SCORE_ROOT, type=Map).get(SCORE) == 3
        # A delete of exactly the item that holds the score: content the server has.
        score_clock = state_of(pro.doc)[pro.client_id] - 1
        parent.ws.send_bytes(
            create_update_message(Update().delete(pro.client_id, score_clock, 1).encode())
        )
        parent.barrier()
        pro.barrier()
        assert pro.doc.get(SCORE_ROOT, type=Map).get(SCORE) == 3
        assert parent.doc.get(SCORE_ROOT, type=Map).get(SCORE) == 3
    assert stored(db, doc_id).get(SCORE_ROOT, type=Map).get(SCORE) == 3


def test_a_placeholder_claiming_someones_clocks_is_refused_and_they_keep_writing(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    with connect(family.user("jongere"), doc_id) as ws_victim:
        victim = YClient(ws_victim).sync()
        victim.type("Ik ")
        victim.barrier()
        with connect(family.user("moeder"), doc_id) as ws_attacker:
            attacker = YClient(ws_attacker).sync()
            next_clock = state_of(attacker.doc)[victim.client_id]
            skip = Update().add(victim.client_id, next_clock, Item(10, length=10**12))
            assert send(attacker, skip.encode()) == 1007
        victim.type("schrijf verder.")
        victim.barrier()
    with connect(family.user("specialist"), doc_id) as ws:
        assert YClient(ws).sync().content() == "Ik schrijf verder."
    assert str(stored(db, doc_id).get("krachten", type=Text)) == "Ik schrijf verder."


def test_writing_under_someone_elses_client_id_is_refused(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    with connect(family.user("specialist"), doc_id) as ws_victim:
        victim = YClient(ws_victim).sync()
        victim.type("Echt.")
        victim.barrier()
        with connect(family.user("moeder"), doc_id) as ws_attacker:
            attacker = YClient(ws_attacker).sync()
            clock = state_of(attacker.doc)[victim.client_id]
            forged = Update().add(
                victim.client_id, clock, string(" Verzonnen.", origin=(victim.client_id, clock - 1))
            )
            assert send(attacker, forged.encode()) == 1007
        victim.barrier()
        assert victim.content() == "Echt."
    assert str(stored(db, doc_id).get("krachten", type=Text)) == "Echt."


def test_a_megabyte_under_a_root_the_schema_does_not_know_is_refused(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.plan)
    with connect(family.user("moeder"), doc_id) as ws:
        client = YClient(ws).sync()
        junk = Doc()
        junk.get("geheime_opslag", type=Text).insert(0, "x" * 1_000_000)
        assert send(client, junk.get_update()) == 1007
    assert stored(db, doc_id).get_update() == Doc().get_update()


def test_a_string_slipped_into_a_list_is_refused_and_the_list_stays_readable(
    connect: Connect, family: Family, db: Session
) -> None:
    """Read back, a string inside a list made pycrdt loop forever."""
    doc_id = doc_id_of(db, family, Section.plan)
    with connect(family.user("aanspreekpunt"), doc_id) as ws:
        owner = YClient(ws).sync()
        owner.change(
            lambda doc: doc.get("doelen", type=Array).append(
                Map({"id": "d1", "titel": Text("Naar school"), "status": "actief"})
            )
        )
        owner.barrier()
        goal = (owner.client_id, 0)
        with connect(family.user("moeder"), doc_id) as ws_attacker:
            attacker = YClient(ws_attacker).sync()
            poison = Update().add(4242, 0, string("a🙂b", origin=goal)).encode()
            assert send(attacker, poison) == 1007
    assert stored(db, doc_id).get("doelen", type=Array).to_py()[0]["id"] == "d1"


def test_a_refused_update_leaves_the_room_working_for_everyone_else(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    with (
        connect(family.user("specialist"), doc_id) as ws_a,
        connect(family.user("jongere"), doc_id) as ws_b,
    ):
        a, b = YClient(ws_a).sync(), YClient(ws_b).sync()
        with connect(family.user("moeder"), doc_id) as ws_bad:
            bad = YClient(ws_bad).sync()
            unknown_root = Update().add(9, 0, any_value(b"\x7e", parent_root="geheim"))
            assert send(bad, unknown_root.encode()) == 1007
        a.type("gaat door")
        b.pump_until(lambda: b.content() == "gaat door")
