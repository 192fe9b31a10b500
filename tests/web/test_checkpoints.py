"""History that never loses work: automatic versions after each editing session, during long
ones and before every restore; browsable (who changed what) and restorable; a restore tells
everyone who has the document open who restored what and where the previous text is."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pycrdt import Array, Doc, Map, Text
from sqlmodel import Session, select

from app.crdt.schema import read_document
from app.models import CheckpointReason, DocumentCheckpoint, DocumentUpdate
from app.security import SESSION_COOKIE
from app.services import checkpoints
from tests.conftest import ORIGIN, Family, live_session_token, sign_in
from tests.crdt.yclient import YClient, eventually
from tests.docs_helpers import document_id, edit, stored_doc


def _add_goal(text: str, goal_id: str):  # type: ignore[no-untyped-def]
    def change(doc: Doc) -> None:
        doc.get("doelen", type=Array).append(
            Map({"id": goal_id, "doel": Text(text), "status": "actief", "acties": Array([])})
        )

    return change


def _goals(db: Session, plan: str) -> list[str]:
    return [g["doel"] for g in read_document("plan", stored_doc(db, plan))["doelen"]]


def _automatic(client: TestClient, family: Family) -> list[dict]:  # type: ignore[type-arg]
    listing = client.get(f"/api/cases/{family.case.id}/versions")
    assert listing.status_code == 200
    return [v for v in listing.json()["versions"] if v["kind"] == "auto"]


def _headers(db: Session, settings, user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    token = live_session_token(db, user, settings)
    return {"cookie": f"{SESSION_COOKIE}={token}", "origin": ORIGIN}


def test_an_editing_session_that_changed_a_document_leaves_an_automatic_version(
    app: FastAPI, client: TestClient, family: Family, db: Session, settings
) -> None:
    app.state.rooms.config.unload_after_seconds = 0
    analyse = document_id(db, family.case.id, "analyse")
    plan = document_id(db, family.case.id, "plan")
    with client.websocket_connect(
        f"/ws/docs/{analyse}", headers=_headers(db, settings, family.user("jongere"))
    ) as ws:
        youth = YClient(ws).sync()
        youth.type("Ik kan goed tekenen.")
        youth.barrier()
    with client.websocket_connect(
        f"/ws/docs/{plan}", headers=_headers(db, settings, family.user("moeder"))
    ) as ws:
        YClient(ws).sync()  # only reads
    eventually(lambda: analyse not in app.state.rooms.rooms and plan not in app.state.rooms.rooms)
    sign_in(client, family.user("moeder"))
    eventually(lambda: len(_automatic(client, family)) == 1)
    [auto] = _automatic(client, family)
    assert auto["doc_id"] == analyse and auto["section"] == "analyse"
    assert auto["reason"] == "session_end"
    assert auto["authors"] == [family.user("jongere").name]
    page = client.get(auto["url"])
    assert page.status_code == 200
    assert "Ik kan goed tekenen." in page.text
    assert f"door {family.user('jongere').name}" in page.text
    assert "Automatisch bewaard" in client.get(f"/cases/{family.case.id}/versies").text


def test_long_sessions_get_a_checkpoint_while_the_document_keeps_changing(
    app: FastAPI, client: TestClient, family: Family, db: Session, settings
) -> None:
    analyse = document_id(db, family.case.id, "analyse")
    keeper = app.state.checkpoints
    with client.websocket_connect(
        f"/ws/docs/{analyse}", headers=_headers(db, settings, family.user("jongere"))
    ) as ws:
        youth = YClient(ws).sync()
        youth.type("Eerste zin.")
        youth.barrier()
        ws.portal.call(keeper.save_changed_rooms, CheckpointReason.periodic)
        ws.portal.call(keeper.save_changed_rooms, CheckpointReason.periodic)  # nothing new
        youth.type(" Tweede zin.")
        youth.barrier()
        ws.portal.call(keeper.save_changed_rooms, CheckpointReason.periodic)
        rows = db.exec(select(DocumentCheckpoint).order_by(DocumentCheckpoint.id)).all()  # type: ignore[arg-type]
    assert [r.reason for r in rows] == ["periodic", "periodic"]
    texts = [read_document("analyse", _doc(checkpoints.state_of(db, r)))["krachten"] for r in rows]
    assert texts == ["Eerste zin.", "Eerste zin. Tweede zin."]


def test_the_keeper_runs_by_itself_at_its_interval(
    app: FastAPI, client: TestClient, family: Family, db: Session, settings
) -> None:
    analyse = document_id(db, family.case.id, "analyse")
    keeper = app.state.checkpoints
    with client.websocket_connect(
        f"/ws/docs/{analyse}", headers=_headers(db, settings, family.user("jongere"))
    ) as ws:
        ws.portal.call(keeper.stop)
        keeper.every_seconds = 0.05
        ws.portal.call(_start, keeper)
        youth = YClient(ws).sync()
        youth.type("Lang aan het schrijven.")
        youth.barrier()
        eventually(lambda: _count(db) >= 1)
        ws.portal.call(keeper.stop)


async def _start(keeper) -> None:  # type: ignore[no-untyped-def]
    keeper.start()
    await asyncio.sleep(0)


def _count(db: Session) -> int:
    db.expire_all()
    return len(db.exec(select(DocumentCheckpoint)).all())


def _doc(state: bytes) -> Doc:
    doc = Doc()
    doc.apply_update(state)
    return doc


def test_no_checkpoint_is_stored_when_nothing_changed(family: Family, db: Session) -> None:
    plan = document_id(db, family.case.id, "plan")
    assert (
        checkpoints.save_if_changed(db, document_id=plan, reason=CheckpointReason.periodic) is None
    )
    edit(db, plan, _add_goal("Sporten", "g1"), family.user("jongere").id)
    first = checkpoints.save_if_changed(db, document_id=plan, reason=CheckpointReason.periodic)
    assert first is not None
    again = checkpoints.save_if_changed(db, document_id=plan, reason=CheckpointReason.session_end)
    assert again is None


def test_a_restore_keeps_the_unadopted_work_as_an_automatic_version_that_brings_it_back(
    client: TestClient, family: Family, db: Session
) -> None:
    plan = document_id(db, family.case.id, "plan")
    edit(db, plan, _add_goal("Naar school gaan", "g1"), family.user("jongere").id)
    sign_in(client, family.user("aanspreekpunt"))
    assert (
        client.post(f"/api/cases/{family.case.id}/versions", json={"title": "Een"}).status_code
        == 201
    )
    edit(db, plan, _add_goal("Sanne zoekt een bijbaantje", "g2"), family.user("jongere").id)
    restored = client.post(
        f"/cases/{family.case.id}/versies/1/herstellen", data={"bevestigd": "ja"}
    )
    assert restored.status_code == 303
    assert _goals(db, plan) == ["Naar school gaan"]
    [auto] = [a for a in _automatic(client, family) if a["doc_id"] == plan]
    assert auto["reason"] == "before_restore"
    assert auto["made_by"] == family.user("aanspreekpunt").name
    # the page after the restore says truly where the previous text is
    page = client.get(restored.headers["location"]).text
    assert f'href="{auto["url"]}"' in page
    kept = client.get(auto["url"]).text
    assert "Sanne zoekt een bijbaantje" in kept
    # and restoring that automatic version brings the lost goal back, keeping what is there now
    back = client.post(f"{auto['url']}/terugzetten", data={"bevestigd": "ja"})
    assert back.status_code == 303
    assert _goals(db, plan) == ["Naar school gaan", "Sanne zoekt een bijbaantje"]
    assert len([a for a in _automatic(client, family) if a["doc_id"] == plan]) == 2


def test_a_restore_tells_everyone_with_the_document_open_who_restored_what_and_where(
    client: TestClient, family: Family, db: Session, settings
) -> None:
    plan = document_id(db, family.case.id, "plan")
    edit(db, plan, _add_goal("Naar school gaan", "g1"), family.user("jongere").id)
    sign_in(client, family.user("aanspreekpunt"))
    client.post(f"/api/cases/{family.case.id}/versions", json={"title": "Een"})
    edit(db, plan, _add_goal("Sanne zoekt een bijbaantje", "g2"), family.user("jongere").id)
    with client.websocket_connect(
        f"/ws/docs/{plan}", headers=_headers(db, settings, family.user("jongere"))
    ) as ws:
        youth = YClient(ws).sync()
        client.post(f"/cases/{family.case.id}/versies/1/herstellen", data={"bevestigd": "ja"})

        def notice() -> dict | None:  # type: ignore[type-arg]
            for state in youth.awareness.values():
                if state and "notice" in state:
                    return state["notice"]  # type: ignore[no-any-return]
            return None

        youth.pump_until(lambda: notice() is not None)
        found = notice()
    assert found is not None
    assert found["kind"] == "restore"
    assert found["text"].startswith(
        f"{family.user('aanspreekpunt').name} heeft versie 1 teruggezet."
    )
    [auto] = [a for a in _automatic(client, family) if a["doc_id"] == plan]
    assert found["link"] == auto["url"]
    time = auto["created_at"]
    assert "te vinden in de automatische versie van " in found["text"]
    checkpoint = db.get(DocumentCheckpoint, auto["id"])
    assert checkpoint is not None and time
    from app.dutch import dutch_time

    assert found["text"].endswith(f"automatische versie van {dutch_time(checkpoint.created_at)}.")


def test_automatic_versions_are_only_for_who_may_read_the_document(
    client: TestClient, family: Family, db: Session
) -> None:
    plan = document_id(db, family.case.id, "plan")
    edit(db, plan, _add_goal("Sporten", "g1"), family.user("jongere").id)
    checkpoint = checkpoints.save_if_changed(db, document_id=plan, reason=CheckpointReason.periodic)
    assert checkpoint is not None
    url = checkpoints.path_of(checkpoint)
    sign_in(client, family.user("oma"))  # netwerk, no consent: may not read the plan
    assert client.get(url).status_code == 404
    assert _automatic(client, family) == []
    assert client.post(f"{url}/terugzetten", data={"bevestigd": "ja"}).status_code == 404
    client.post("/logout")
    sign_in(client, family.user("vreemde"))
    assert client.get(url).status_code == 404
    assert client.get(f"/api/cases/{family.case.id}/versions").status_code == 404


def test_the_aanspreekpunt_cannot_restore_a_story_the_youth_stopped_her_writing_in(
    client: TestClient, family: Family, db: Session
) -> None:
    youth = family.places["jongere"]
    story = document_id(db, family.case.id, "verhaal", youth.id)
    edit(db, story, _tell("Ik wil weer naar school."), family.user("jongere").id)
    checkpoint = checkpoints.save_if_changed(
        db, document_id=story, reason=CheckpointReason.periodic
    )
    assert checkpoint is not None
    edit(db, story, _tell("Ik wil een bijbaantje."), family.user("jongere").id)
    sign_in(client, family.user("jongere"))
    lezers = client.post(
        f"/cases/{family.case.id}/docs/{story}/lezers", data={"readers": "default"}
    )
    assert lezers.status_code == 303
    client.post("/logout")
    sign_in(client, family.user("aanspreekpunt"))
    url = checkpoints.path_of(checkpoint)
    assert "Deze versie terugzetten" not in client.get(url).text

    response = client.post(f"{url}/terugzetten", data={"bevestigd": "ja"})

    assert response.status_code == 403
    assert "Terugzetten kan alleen wie erin mag schrijven." in response.text
    text = read_document(f"verhaal/{youth.id}", stored_doc(db, story))["hulpvraag"]
    assert str(text) == "Ik wil een bijbaantje."
    written = db.exec(
        select(DocumentUpdate).where(
            DocumentUpdate.document_id == story,
            DocumentUpdate.author_user_id == family.user("aanspreekpunt").id,
        )
    ).all()
    assert written == []


def _tell(text: str):  # type: ignore[no-untyped-def]
    def change(doc: Doc) -> None:
        question = doc.get("hulpvraag", type=Text)
        del question[:]
        question.insert(0, text)

    return change
