"""Nieuw sinds je laatste bezoek: which fields others changed since you last opened each
document, and who; opening a document (page or WebSocket) marks it as seen."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from pycrdt import Array, Doc, Map, Text
from sqlmodel import Session

from app.security import SESSION_COOKIE
from app.services import accounts
from tests.conftest import ORIGIN, Family, sign_in
from tests.crdt.yclient import YClient
from tests.docs_helpers import document_id, edit


def _add_goal(text: str, goal_id: str = "g1"):  # type: ignore[no-untyped-def]
    def change(doc: Doc) -> None:
        doc.get("doelen", type=Array).append(
            Map({"id": goal_id, "doel": Text(text), "status": "actief", "acties": Array([])})
        )

    return change


def _retype_goal(text: str):  # type: ignore[no-untyped-def]
    def change(doc: Doc) -> None:
        goal = doc.get("doelen", type=Array)[0]
        del goal["doel"][0 : len(str(goal["doel"]))]
        goal["doel"].insert(0, text)

    return change


def _changes(client: TestClient, family: Family) -> dict[str, dict]:  # type: ignore[type-arg]
    response = client.get(f"/api/cases/{family.case.id}/changes")
    assert response.status_code == 200, response.text
    return {entry["section"]: entry for entry in response.json()}


def test_changes_name_the_fields_others_changed_since_your_last_visit_and_who(
    client: TestClient, family: Family, db: Session
) -> None:
    plan = document_id(db, family.case.id, "plan")
    edit(db, plan, _add_goal("Naar school gaan"), family.user("jongere").id)
    sign_in(client, family.user("jongere"))
    assert client.get(f"/cases/{family.case.id}/docs/{plan}").status_code == 200
    assert _changes(client, family)["plan"]["fields"] == []

    edit(db, plan, _retype_goal("Elke dag naar school gaan"), family.user("moeder").id)

    def analysis(doc: Doc) -> None:
        doc.get("krachten", type=Text).insert(0, "Sanne kan goed tekenen.")

    edit(db, document_id(db, family.case.id, "analyse"), analysis, family.user("specialist").id)

    def perspective(doc: Doc) -> None:
        doc.get("domein.steun.huidige_situatie", type=Text).insert(0, "Oma helpt.")

    edit(db, document_id(db, family.case.id, "perspectief"), perspective, family.user("moeder").id)
    changes = _changes(client, family)
    assert changes["plan"]["doc_id"] == plan
    [goal] = changes["plan"]["fields"]
    assert goal["path"] == "doelen/g1/doel"
    assert "Wat wil je bereiken?" in goal["label"]
    assert goal["by"] == [family.user("moeder").name]
    assert [f["path"] for f in changes["analyse"]["fields"]] == ["krachten"]
    assert changes["analyse"]["fields"][0]["by"] == [family.user("specialist").name]
    [steun] = changes["perspectief"]["fields"]
    assert steun["path"] == "domein.steun/huidige_situatie"


def test_opening_a_document_page_marks_it_seen(
    client: TestClient, family: Family, db: Session
) -> None:
    plan = document_id(db, family.case.id, "plan")
    edit(db, plan, _add_goal("Sporten"), family.user("aanspreekpunt").id)
    sign_in(client, family.user("moeder"))
    assert [f["path"] for f in _changes(client, family)["plan"]["fields"]] == ["doelen/g1"]
    client.get(f"/cases/{family.case.id}/docs/{plan}")
    assert _changes(client, family)["plan"]["fields"] == []


def test_opening_the_websocket_marks_the_document_seen(
    client: TestClient, family: Family, db: Session, settings
) -> None:
    plan = document_id(db, family.case.id, "plan")
    edit(db, plan, _add_goal("Sporten"), family.user("aanspreekpunt").id)
    token = accounts.start_session(db, user=family.user("moeder"), settings=settings)
    headers = {"cookie": f"{SESSION_COOKIE}={token}", "origin": ORIGIN}
    with client.websocket_connect(f"/ws/docs/{plan}", headers=headers) as ws:
        YClient(ws).sync()
    client.cookies.set(SESSION_COOKIE, token)
    assert _changes(client, family)["plan"]["fields"] == []


def test_your_own_edits_are_not_news_to_you(
    client: TestClient, family: Family, db: Session
) -> None:
    plan = document_id(db, family.case.id, "plan")
    edit(db, plan, _add_goal("Mijn eigen doel"), family.user("jongere").id)
    edit(db, plan, _add_goal("Van mama", "g2"), family.user("moeder").id)
    sign_in(client, family.user("jongere"))
    fields = _changes(client, family)["plan"]["fields"]
    assert [(f["path"], f["by"]) for f in fields] == [("doelen/g2", [family.user("moeder").name])]


def test_changes_list_only_documents_you_may_read(
    client: TestClient, family: Family, db: Session
) -> None:
    edit(db, document_id(db, family.case.id, "plan"), _add_goal("Geheim"), None)
    sign_in(client, family.user("oma"))  # netwerk without consent
    sections = set(_changes(client, family))
    assert not sections & {"analyse", "plan", "perspectief", "veiligheid"}
    client.post("/logout")
    sign_in(client, family.user("vreemde"))
    assert client.get(f"/api/cases/{family.case.id}/changes").status_code == 404


def test_the_editor_gets_this_documents_changes_before_it_is_marked_seen(
    client: TestClient, family: Family, db: Session
) -> None:
    plan = document_id(db, family.case.id, "plan")
    sign_in(client, family.user("jongere"))
    client.get(f"/cases/{family.case.id}/docs/{plan}")
    edit(db, plan, _add_goal("Bijbaantje zoeken"), family.user("aanspreekpunt").id)
    page = client.get(f"/cases/{family.case.id}/docs/{plan}").text
    config_json = re.search(r'id="editor-config">(.*?)</script>', page, re.S)
    assert config_json is not None
    config = json.loads(config_json.group(1))
    assert [(c["path"], c["by"]) for c in config["changes"]] == [
        ("doelen/g1", [family.user("aanspreekpunt").name])
    ]
    again = client.get(f"/cases/{family.case.id}/docs/{plan}").text
    assert '"changes": []' in again


def test_the_case_page_shows_per_document_what_changed_and_by_whom(
    client: TestClient, family: Family, db: Session
) -> None:
    plan = document_id(db, family.case.id, "plan")
    sign_in(client, family.user("moeder"))
    client.get(f"/cases/{family.case.id}/docs/{plan}")
    edit(db, plan, _add_goal("Sanne zoekt een bijbaantje"), family.user("jongere").id)
    page = client.get(f"/cases/{family.case.id}").text
    assert "Nieuw sinds je laatste bezoek" in page
    news = page.split("Nieuw sinds je laatste bezoek", 1)[1]
    assert "Sanne zoekt een bijbaantje" in news
    assert f"door {family.user('jongere').name}" in news
