"""The document editor page: who may open it, and what it hands the browser."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.services.documents import documents_for_user
from tests.conftest import Family, sign_in


def _doc_id(db: Session, family: Family, who: str, section: str) -> str:
    for access in documents_for_user(db, user=family.user(who), case_id=family.case.id):
        if access.section_name == section:
            return access.document.id
    raise AssertionError(f"{who} has no {section}")


def _config(html: str) -> dict:  # type: ignore[type-arg]
    pattern = r'<script type="application/json" id="editor-config">(.*?)</script>'
    match = re.search(pattern, html, re.S)
    assert match
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def test_editor_page_hands_the_browser_schema_people_and_access(
    client: TestClient, family: Family, db: Session
) -> None:
    doc_id = _doc_id(db, family, "aanspreekpunt", "plan")
    sign_in(client, family.user("moeder"))
    page = client.get(f"/cases/{family.case.id}/docs/{doc_id}")
    assert page.status_code == 200
    assert "Plan van aanpak" in page.text
    assert "/static/editor.bundle.js" in page.text and "/static/editor.css" in page.text
    assert "<noscript>" in page.text
    config = _config(page.text)
    assert config["doc_id"] == doc_id and config["access"] == "edit"
    assert config["schema"]["blocks"][0]["key"] == "doelen"
    assert config["me"]["participant_id"] == family.places["moeder"].id
    assert {p["name"] for p in config["participants"]} >= {"Moeder", "Jongere", "Wendy WIJ"}
    assert config["linked"]["analyse"]["doc_id"] == _doc_id(db, family, "moeder", "analyse")


def test_someone_elses_story_is_read_only(client: TestClient, family: Family, db: Session) -> None:
    story = _doc_id(db, family, "jongere", f"verhaal/{family.places['jongere'].id}")
    sign_in(client, family.user("moeder"))
    page = client.get(f"/cases/{family.case.id}/docs/{story}")
    assert page.status_code == 200
    assert "Het verhaal van Jongere" in page.text
    assert "Je kunt dit lezen, maar niet veranderen." in page.text
    assert _config(page.text)["access"] == "view"


@pytest.mark.parametrize("who", ["oma", "vreemde"])
def test_people_without_access_get_not_found(
    client: TestClient, family: Family, db: Session, who: str
) -> None:
    doc_id = _doc_id(db, family, "aanspreekpunt", "analyse")
    sign_in(client, family.user(who))
    assert client.get(f"/cases/{family.case.id}/docs/{doc_id}").status_code == 404


def test_a_document_under_another_case_id_is_not_found(
    client: TestClient, family: Family, db: Session
) -> None:
    doc_id = _doc_id(db, family, "aanspreekpunt", "analyse")
    sign_in(client, family.user("aanspreekpunt"))
    assert client.get(f"/cases/anders/docs/{doc_id}").status_code == 404
    assert client.get(f"/cases/{family.case.id}/docs/bestaat-niet").status_code == 404


def test_signing_in_is_needed(client: TestClient, family: Family, db: Session) -> None:
    doc_id = _doc_id(db, family, "aanspreekpunt", "analyse")
    page = client.get(f"/cases/{family.case.id}/docs/{doc_id}")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
