"""A restore reaches people who are editing at that moment, like any other change."""

from __future__ import annotations

from fastapi.testclient import TestClient
from pycrdt import Array, Doc, Map, Text
from sqlmodel import Session

from app.crdt.protocol import create_update_message
from app.crdt.schema import read_document
from app.security import SESSION_COOKIE
from app.services import accounts
from tests.conftest import ORIGIN, Family, sign_in
from tests.crdt.yclient import YClient
from tests.docs_helpers import document_id, edit


def test_a_restore_converges_for_connected_editors(
    client: TestClient, family: Family, db: Session, settings
) -> None:
    plan = document_id(db, family.case.id, "plan")

    def add_goal(doc: Doc) -> None:
        doc.get("doelen", type=Array).append(
            Map({"id": "g1", "doel": Text("Naar school gaan"), "status": "actief"})
        )

    edit(db, plan, add_goal, None)
    sign_in(client, family.user("aanspreekpunt"))
    assert (
        client.post(f"/api/cases/{family.case.id}/versions", json={"title": "Goed"}).status_code
        == 201
    )
    token = accounts.start_session(db, user=family.user("jongere"), settings=settings)
    headers = {"cookie": f"{SESSION_COOKIE}={token}", "origin": ORIGIN}
    with client.websocket_connect(f"/ws/docs/{plan}", headers=headers) as ws:
        youth = YClient(ws).sync()
        # the youth deletes the goal while connected
        before = youth.doc.get_state()
        del youth.doc.get("doelen", type=Array)[0]
        ws.send_bytes(create_update_message(youth.doc.get_update(before)))
        youth.barrier()
        assert read_document("plan", youth.doc)["doelen"] == []
        restored = client.post(
            f"/cases/{family.case.id}/versies/1/herstellen", data={"bevestigd": "ja"}
        )
        assert restored.status_code == 303
        # no new sync request: the change must arrive by itself, pushed by the server
        youth.pump_until(lambda: bool(read_document("plan", youth.doc)["doelen"]))
        goals = read_document("plan", youth.doc)["doelen"]
        assert [g["doel"] for g in goals] == ["Naar school gaan"]
