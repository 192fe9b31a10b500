"""Restoring an old state is a forward change that keeps what others type meanwhile."""

from __future__ import annotations

from pycrdt import Array, Doc, Map, Text

from app.crdt.restore import restore_update, set_text
from app.crdt.schema import read_document


def _goal(goal_id: str, text: str) -> Map:
    return Map({"id": goal_id, "doel": Text(text), "status": "actief", "acties": Array([])})


def _goals(doc: Doc) -> list[str]:
    return [g["doel"] for g in read_document("plan", doc)["doelen"]]


def _copy(doc: Doc) -> Doc:
    other = Doc(skip_gc=True)
    other.apply_update(doc.get_update())
    return other


def test_restore_brings_back_removed_and_changed_items_and_drops_new_ones() -> None:
    doc = Doc(skip_gc=True)
    goals = doc.get("doelen", type=Array)
    goals.append(_goal("g1", "Naar school"))
    goals.append(_goal("g2", "Sporten"))
    old = doc.get_update()
    goals[0]["doel"].insert(0, "Elke dag ")
    del goals[1]
    goals.append(_goal("g3", "Nieuw doel"))
    doc.apply_update(restore_update("plan", current=doc.get_update(), target=old))
    assert _goals(doc) == ["Naar school", "Sporten"]
    assert restore_update("plan", current=doc.get_update(), target=old) == b""


def test_someone_typing_in_another_goal_during_a_restore_keeps_their_words() -> None:
    server = Doc(skip_gc=True)
    goals = server.get("doelen", type=Array)
    goals.append(_goal("g1", "Naar school"))
    goals.append(_goal("g2", "Sporten"))
    old = server.get_update()
    goals[0]["doel"].insert(0, "Elke dag ")
    # a parent has the current state and types in the second goal while the restore happens
    parent = _copy(server)
    before = parent.get_state()
    parent.get("doelen", type=Array)[1]["doel"].insert(len("Sporten"), " op zaterdag")
    typing = parent.get_update(before)
    server.apply_update(restore_update("plan", current=server.get_update(), target=old))
    server.apply_update(typing)
    assert _goals(server) == ["Naar school", "Sporten op zaterdag"]


def test_text_edits_count_positions_in_utf8_like_pycrdt() -> None:
    doc = Doc()
    text = doc.get("t", type=Text)
    text += "Zoë 😀 gaat naar school"
    set_text(text, "Zoë 😀 gaat weer naar school")
    assert str(text) == "Zoë 😀 gaat weer naar school"
    set_text(text, "😀")
    assert str(text) == "😀"
