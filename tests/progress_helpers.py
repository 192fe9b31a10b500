"""Put Big Five scores, norms and goals in a case's documents the way the editor would, and
adopt versions, for the tests of progress and evaluation rounds."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from pycrdt import Array, Doc, Map, Text
from sqlmodel import Session

from tests.conftest import Family
from tests.docs_helpers import document_id, edit

_UNSET = object()


def set_domain(
    db: Session,
    family: Family,
    domain: str,
    *,
    schaal: Any = _UNSET,
    zelf: Any = _UNSET,
    norm: str | None = None,
    gehaald: Any = _UNSET,
) -> None:
    """Set (or, with None, clear) the scores and the norm of one Big Five domain."""

    def change(doc: Doc) -> None:
        values = doc.get(f"domein.{domain}", type=Map)
        for key, value in (
            ("schaal_jongere", schaal),
            ("zelfredzaamheid", zelf),
            ("norm_gehaald", gehaald),
        ):
            if value is _UNSET:
                continue
            if value is None:
                if key in values:
                    del values[key]
            else:
                values[key] = value
        if norm is not None:
            text = doc.get(f"domein.{domain}.norm", type=Text)
            del text[0 : len(text)]
            text.insert(0, norm)

    edit(db, document_id(db, family.case.id, "perspectief"), change, family.user("specialist").id)


def set_all_domains(db: Session, family: Family, **values: Any) -> None:
    for domain in ("steun", "wonen", "school_werk", "inkomen", "welzijn"):
        set_domain(db, family, domain, **values)


def add_goal(
    db: Session, family: Family, goal_id: str, text: str, *, status: str = "actief"
) -> None:
    def change(doc: Doc) -> None:
        doc.get("doelen", type=Array).append(
            Map(
                {
                    "id": goal_id,
                    "doel": Text(text),
                    "status": status,
                    "domein": "school_werk",
                    "acties": Array([]),
                }
            )
        )

    edit(db, document_id(db, family.case.id, "plan"), change, family.user("jongere").id)


def change_goal(
    db: Session, family: Family, goal_id: str, *, status: str | None = None, text: str | None = None
) -> None:
    def change(doc: Doc) -> None:
        for item in doc.get("doelen", type=Array):
            if item.get("id") != goal_id:
                continue
            if status is not None:
                item["status"] = status
            if text is not None:
                words = item["doel"]
                del words[0 : len(words)]
                words.insert(0, text)

    edit(db, document_id(db, family.case.id, "plan"), change, family.user("jongere").id)


def remove_goal(db: Session, family: Family, goal_id: str) -> None:
    def change(doc: Doc) -> None:
        goals = doc.get("doelen", type=Array)
        for index, item in enumerate(goals):
            if item.get("id") == goal_id:
                del goals[index]
                return

    edit(db, document_id(db, family.case.id, "plan"), change, family.user("jongere").id)


def adopt(client: TestClient, family: Family, title: str, meeting_date: str = "") -> int:
    """Adopt a version as the signed-in aanspreekpunt; its number."""
    response = client.post(
        f"/api/cases/{family.case.id}/versions",
        json={"title": title, "meeting_date": meeting_date},
    )
    assert response.status_code == 201, response.text
    return int(response.json()["number"])
