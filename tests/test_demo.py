"""A demo that shows the product: ``make run`` seeds a filled-in, fictional family;
``eenplan demo --json`` keeps seeding an empty case for scripts, ``--filled`` the full one."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.crdt.schema import read_document
from app.models import Consent, DocumentUpdate
from app.security import SESSION_COOKIE
from app.services import accounts, documents, versions
from app.services.membership import active_members
from tests.conftest import ORIGIN
from tests.crdt.yclient import YClient
from tests.docs_helpers import document_id, stored_doc
from tests.test_cli import EENPLAN

ROOT = Path(__file__).resolve().parent.parent


def _demo(database_url: str, *args: str) -> dict:  # type: ignore[type-arg]
    result = subprocess.run(
        [EENPLAN, "demo", "--json", *args],
        env={**os.environ, "EENPLAN_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_demo_json_still_seeds_an_empty_case(database_url: str, db: Session) -> None:
    case = _demo(database_url)
    assert {p["role"] for p in case["participants"]} >= {"jongere", "ouder", "aanspreekpunt"}
    written = db.exec(select(DocumentUpdate)).all()
    assert written == []
    assert versions.list_versions(db, case_id=case["case_id"]) == []


def test_the_filled_demo_has_an_analysis_a_plan_scores_stories_and_two_versions(
    database_url: str, db: Session
) -> None:
    case = _demo(database_url, "--filled")
    case_id = case["case_id"]
    analysis = read_document("analyse", stored_doc(db, document_id(db, case_id, "analyse")))
    assert analysis["krachten"].strip()
    assert len(analysis["zorgen"]) >= 2
    factors = [f for group in analysis["factoren"].values() for f in group]
    assert {f["soort"] for f in factors} == {"risico", "beschermend"}
    assert analysis["hypothesen"] and all(h["factoren"] for h in analysis["hypothesen"])
    plan = read_document("plan", stored_doc(db, document_id(db, case_id, "plan")))
    assert len(plan["doelen"]) >= 3
    assert all(goal["acties"] for goal in plan["doelen"][:3])
    assert any(goal["doel"] == "Ik zoek een bijbaantje bij de manege." for goal in plan["doelen"])
    perspective = read_document(
        "perspectief", stored_doc(db, document_id(db, case_id, "perspectief"))
    )
    for domain in ("steun", "wonen", "school_werk", "inkomen", "welzijn"):
        assert perspective["domein"][domain]["schaal_jongere"] is not None
        assert perspective["domein"][domain]["huidige_situatie"]
    for member in active_members(db, case_id=case_id):
        story = read_document(
            "verhaal",
            stored_doc(db, document_id(db, case_id, "verhaal", member.participant.id)),
        )
        assert story["hulpvraag"] or story["mijn_verhaal"], member.user.name
    history = versions.list_versions(db, case_id=case_id)
    assert [v.number for v in history] == [2, 1]
    assert versions.verify_chain(db, case_id=case_id).ok
    assert history[0].next_evaluation_date == history[1].next_evaluation_date is not None
    # consent is left for the family to give
    assert db.exec(select(Consent).where(Consent.case_id == case_id)).all() == []


def test_the_filled_demo_loads_like_real_documents_and_shows_what_is_new(
    database_url: str, client: TestClient, db: Session, settings
) -> None:
    case = _demo(database_url, "--filled")
    case_id = case["case_id"]
    people = {p["role"] + ("-gezag" if p["gezag"] else ""): p for p in case["participants"]}
    youth = accounts.find_user_by_email(db, people["jongere"]["email"])
    assert youth is not None
    plan = document_id(db, case_id, "plan")
    token = accounts.start_session(db, user=youth, settings=settings)
    headers = {"cookie": f"{SESSION_COOKIE}={token}", "origin": ORIGIN}
    with client.websocket_connect(f"/ws/docs/{plan}", headers=headers) as ws:
        synced = YClient(ws, field="doelen_unused").sync()
        goals = read_document("plan", synced.doc)["doelen"]
    assert [g["doel"] for g in goals][:2] == [
        "Ik ga weer elke dag naar school.",
        "Ik slaap beter en voel me rustiger.",
    ]
    mother = next(p for p in case["participants"] if p["role"] == "ouder")
    response = client.post(
        "/login", data={"email": mother["email"], "password": mother["password"]}
    )
    assert response.status_code == 303
    news = {n["section"]: n for n in client.get(f"/api/cases/{case_id}/changes").json()}
    assert any(
        f["label"].endswith("Ik zoek een bijbaantje bij de manege.") and f["by"] == ["Sanne"]
        for f in news["plan"]["fields"]
    )
    assert news["plan"]["first_visit"] is False
    client.post("/logout")
    youth_login = client.post(
        "/login",
        data={"email": people["jongere"]["email"], "password": people["jongere"]["password"]},
    )
    assert youth_login.status_code == 303
    news = {n["section"]: n for n in client.get(f"/api/cases/{case_id}/changes").json()}
    [note] = news["analyse"]["fields"]
    assert (note["path"], note["kind"]) == ("zorgen/zorg-slaap/tekst", "gewijzigd")
    assert note["by"] == [mother["name"]]


def test_make_run_seeds_the_filled_demo() -> None:
    dry = subprocess.run(
        ["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "eenplan demo --if-empty --filled" in dry


def test_the_demo_youth_story_is_readable_by_her_mother_but_not_by_grandma(
    database_url: str, db: Session
) -> None:
    case = _demo(database_url, "--filled")
    members = {m.user.email: m for m in active_members(db, case_id=case["case_id"])}
    by_role = {p["role"] + str(p["gezag"]): p["email"] for p in case["participants"]}
    youth = members[by_role["jongereFalse"]].participant.id
    story = f"verhaal/{youth}"

    def sections(email: str) -> set[str]:
        return {
            d.section_name
            for d in documents.documents_for_user(
                db, user=members[email].user, case_id=case["case_id"]
            )
        }

    assert story in sections(by_role["ouderTrue"])
    assert story not in sections(by_role["netwerkFalse"])
