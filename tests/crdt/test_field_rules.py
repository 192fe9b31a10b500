"""Field rules on the server: the professional's score and everyone's own "herken ik mij
hierin?" answer, whatever a client sends."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from pycrdt import Doc, Map, Text
from sqlmodel import Session, select

from app.crdt.field_rules import OwnEntryOnly, RoleOnlyValue, rules_for_section
from app.crdt.protocol import SyncStep1, create_update_message, parse_message
from app.crdt.server import RoomServer
from app.crdt.store import merge_into_doc
from app.models import DocumentUpdate, Section
from tests.conftest import Family
from tests.crdt.conftest import Connect, doc_id_of
from tests.crdt.yclient import YClient

SCORE_ROOT = "domein.wonen"


def change(client: YClient, edit: Callable[[Doc], Any]) -> bytes:
    """Make a change in the client's own copy and send it, as a (possibly forged) client would."""
    before = client.doc.get_state()
    with client.doc.transaction():
        edit(client.doc)
    update = client.doc.get_update(before)
    client.ws.send_bytes(create_update_message(update))
    return update


def stored(db: Session, doc_id: str) -> Doc:
    db.expire_all()
    rows = db.exec(
        select(DocumentUpdate)
        .where(DocumentUpdate.document_id == doc_id)
        .order_by(DocumentUpdate.id)  # type: ignore[arg-type]
    ).all()
    return merge_into_doc(r.update for r in rows)


def score(doc: Doc) -> Any:
    return doc.get(SCORE_ROOT, type=Map).get("zelfredzaamheid")


def situation(doc: Doc) -> str:
    return str(doc.get(f"{SCORE_ROOT}.huidige_situatie", type=Text))


def set_score(value: float) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        doc.get(SCORE_ROOT, type=Map)["zelfredzaamheid"] = value

    return edit


def type_situation(words: str) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        text = doc.get(f"{SCORE_ROOT}.huidige_situatie", type=Text)
        text.insert(len(text), words)

    return edit


def both(*edits: Callable[[Doc], None]) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        for one in edits:
            one(doc)

    return edit


def test_the_rules_come_from_the_schema() -> None:
    perspectief = rules_for_section("perspectief")
    assert {r.root for r in perspectief if isinstance(r, RoleOnlyValue)} == {
        "domein.steun",
        "domein.wonen",
        "domein.school_werk",
        "domein.inkomen",
        "domein.welzijn",
    }
    # the self-reliance score and whether the norm is met: professionals only; the youth's own
    # score: the youth, or the aanspreekpunt with her
    domains = ("steun", "wonen", "school_werk", "inkomen", "welzijn")
    assert {(r.root.removeprefix("domein."), r.key, r.roles) for r in perspectief} == {  # type: ignore[attr-defined]
        (domain, key, frozenset(roles))
        for domain in domains
        for key, roles in (
            ("zelfredzaamheid", {"aanspreekpunt", "specialist"}),
            ("norm_gehaald", {"aanspreekpunt", "specialist"}),
            ("schaal_jongere", {"jongere", "aanspreekpunt"}),
        )
    }
    assert rules_for_section("analyse") == (OwnEntryOnly("herkenning", frozenset({"toelichting"})),)
    for section in ("plan", "veiligheid", "verhaal/3"):
        assert rules_for_section(section) == ()


def test_a_parent_cannot_change_the_youths_own_score(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.perspectief)
    with connect(family.user("jongere"), doc_id) as ws:
        sanne = YClient(ws, field=f"{SCORE_ROOT}.huidige_situatie").sync()
        change(sanne, lambda doc: doc.get(SCORE_ROOT, type=Map).__setitem__("schaal_jongere", 6))
        sanne.barrier()
    with connect(family.user("moeder"), doc_id) as ws:
        marieke = YClient(ws, field=f"{SCORE_ROOT}.huidige_situatie").sync()
        change(
            marieke,
            both(
                lambda doc: doc.get(SCORE_ROOT, type=Map).__setitem__("schaal_jongere", 2),
                type_situation("Het gaat beter."),
            ),
        )
        marieke.barrier()
    kept = stored(db, doc_id)
    assert kept.get(SCORE_ROOT, type=Map).get("schaal_jongere") == 6
    assert situation(kept) == "Het gaat beter."


def test_a_parent_cannot_set_the_score_and_the_rest_of_their_change_is_kept(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.perspectief)
    with (
        connect(family.user("specialist"), doc_id) as ws_pro,
        connect(family.user("moeder"), doc_id) as ws_parent,
    ):
        professional = YClient(ws_pro).sync()
        parent = YClient(ws_parent).sync()
        change(parent, both(set_score(5), type_situation("Het gaat goed thuis.")))
        parent.barrier()
        professional.barrier()
        for doc in (professional.doc, parent.doc, stored(db, doc_id)):
            assert situation(doc) == "Het gaat goed thuis."
            assert score(doc) is None


def test_only_a_professional_marks_a_norm_as_met(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.perspectief)

    def norm_met(doc: Doc) -> None:
        doc.get(SCORE_ROOT, type=Map)["norm_gehaald"] = "ja"

    with (
        connect(family.user("specialist"), doc_id) as ws_pro,
        connect(family.user("jongere"), doc_id) as ws_youth,
    ):
        professional = YClient(ws_pro).sync()
        youth = YClient(ws_youth).sync()
        change(youth, norm_met)
        youth.barrier()
        professional.barrier()
        for doc in (professional.doc, youth.doc, stored(db, doc_id)):
            assert doc.get(SCORE_ROOT, type=Map).get("norm_gehaald") is None
        change(professional, norm_met)
        professional.barrier()
        youth.barrier()
        for doc in (professional.doc, youth.doc, stored(db, doc_id)):
            assert doc.get(SCORE_ROOT, type=Map).get("norm_gehaald") == "ja"


def test_a_parents_change_of_the_score_is_put_back_to_the_professionals_value(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.perspectief)
    with (
        connect(family.user("specialist"), doc_id) as ws_pro,
        connect(family.user("jongere"), doc_id) as ws_youth,
    ):
        professional = YClient(ws_pro).sync()
        youth = YClient(ws_youth).sync()
        change(professional, set_score(3))
        professional.barrier()
        youth.barrier()
        assert score(youth.doc) == 3
        change(youth, set_score(1))
        youth.barrier()
        professional.barrier()
        for doc in (professional.doc, youth.doc, stored(db, doc_id)):
            assert score(doc) == 3


def test_the_aanspreekpunt_may_set_the_score(connect: Connect, family: Family, db: Session) -> None:
    doc_id = doc_id_of(db, family, Section.perspectief)
    with connect(family.user("aanspreekpunt"), doc_id) as ws:
        client = YClient(ws).sync()
        change(client, set_score(4))
        client.barrier()
    assert score(stored(db, doc_id)) == 4


def test_a_restore_by_the_server_reaches_the_rules_too(
    connect: Connect, family: Family, db: Session, rooms: RoomServer
) -> None:
    doc_id = doc_id_of(db, family, Section.perspectief)
    by_server = Doc()
    by_server.get(SCORE_ROOT, type=Map)["zelfredzaamheid"] = 2.0
    with connect(family.user("moeder"), doc_id) as ws:
        parent = YClient(ws).sync()
        ws.portal.call(
            partial(
                rooms.apply_server_update,
                doc_id,
                by_server.get_update(),
                author_user_id=family.user("aanspreekpunt").id,
            )
        )
        parent.barrier()
        assert score(parent.doc) == 2
        change(parent, set_score(5))
        parent.barrier()
        assert score(parent.doc) == 2
    assert score(stored(db, doc_id)) == 2


def answer(participant_id: int, value: str, note: str) -> Callable[[Doc], None]:
    def edit(doc: Doc) -> None:
        doc.get("herkenning", type=Map)[str(participant_id)] = Map(
            {"antwoord": value, "toelichting": Text(note)}
        )

    return edit


def answers(doc: Doc) -> dict[str, Any]:
    return doc.get("herkenning", type=Map).to_py() or {}


def test_everyone_answers_herken_ik_mij_hierin_only_for_themselves(
    connect: Connect, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    youth_id = family.places["jongere"].id
    mother_id = family.places["moeder"].id
    assert youth_id is not None and mother_id is not None
    with (
        connect(family.user("jongere"), doc_id) as ws_youth,
        connect(family.user("moeder"), doc_id) as ws_mother,
    ):
        youth = YClient(ws_youth).sync()
        mother = YClient(ws_mother).sync()
        # The youth answers for themselves and, forged, for their mother in one update.
        change(youth, both(answer(youth_id, "deels", "Niet alles."), answer(mother_id, "ja", "")))
        youth.barrier()
        mother.barrier()
        expected = {str(youth_id): {"antwoord": "deels", "toelichting": "Niet alles."}}
        assert answers(youth.doc) == answers(mother.doc) == expected
        change(mother, answer(mother_id, "nee", "Ik zie het anders."))
        mother.barrier()
        youth.barrier()
        # The youth edits the mother's explanation and removes her answer: both put back.
        change(
            youth,
            lambda d: d.get("herkenning", type=Map)[str(mother_id)]["toelichting"].insert(
                0, "Eigenlijk ja. "
            ),
        )
        change(youth, lambda d: d.get("herkenning", type=Map).pop(str(mother_id)))
        youth.barrier()
        mother.barrier()
        expected[str(mother_id)] = {"antwoord": "nee", "toelichting": "Ik zie het anders."}
        for doc in (youth.doc, mother.doc, stored(db, doc_id)):
            assert answers(doc) == expected


def test_an_update_that_depends_on_changes_the_server_lacks_is_never_applied(
    connect: Connect, family: Family, db: Session
) -> None:
    """Continuing changes the server never got, it is set aside: the server asks its sender
    for what it lacks (an editor reconnecting does this honestly) and applies nothing of it
    until then."""
    doc_id = doc_id_of(db, family, Section.analyse)
    offline = Doc()
    text = offline.get("krachten", type=Text)
    text.insert(0, "Sanne kan goed tekenen.")
    state = offline.get_state()
    text.insert(0, "Nieuw: ")
    dangling = offline.get_update(state)  # without the first change it cannot be placed
    with connect(family.user("specialist"), doc_id) as ws:
        sender = YClient(ws).sync()
        asked = []
        sender.handle = lambda data: asked.append(data)  # type: ignore[method-assign]
        ws.send_bytes(create_update_message(dangling))
        sender.pump_until(lambda: bool(asked))
        assert parse_message(asked[0]) == SyncStep1(sender.doc.get_state())
    with connect(family.user("moeder"), doc_id) as ws:
        # The room is fine for others, and its shadow took nothing of it.
        client = YClient(ws).sync()
        change(client, answer(family.places["moeder"].id or 0, "ja", ""))
        client.barrier()
        assert str(client.doc.get("krachten", type=Text)) == ""
    assert str(stored(db, doc_id).get("krachten", type=Text)) == ""
