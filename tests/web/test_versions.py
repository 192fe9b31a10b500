"""Vaststellen, the hash chain, approvals, compare and restore."""

from __future__ import annotations

from fastapi.testclient import TestClient
from pycrdt import Array, Doc, Map, Text
from sqlmodel import Session, select

from app.crdt.schema import read_document
from app.models import DocumentUpdate, Version, VersionDocument
from app.services import versions
from tests.conftest import Family, sign_in
from tests.docs_helpers import document_id, edit, stored_doc


def _add_goal(text: str, goal_id: str = "g1"):  # type: ignore[no-untyped-def]
    def change(doc: Doc) -> None:
        doc.get("doelen", type=Array).append(
            Map(
                {
                    "id": goal_id,
                    "doel": Text(text),
                    "status": "actief",
                    "domein": "school_werk",
                    "acties": Array([]),
                }
            )
        )

    return change


def _goal_texts(db: Session, doc_id: str) -> list[str]:
    return [g["doel"] for g in read_document("plan", stored_doc(db, doc_id))["doelen"]]


def _adopt(client: TestClient, family: Family, title: str) -> dict:  # type: ignore[type-arg]
    response = client.post(
        f"/api/cases/{family.case.id}/versions", json={"title": title, "decisions": "Samen verder."}
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_adopting_freezes_every_document_in_a_hash_chain(
    client: TestClient, family: Family, db: Session
) -> None:
    plan = document_id(db, family.case.id, "plan")
    edit(db, plan, _add_goal("Naar school gaan"), family.user("jongere").id)
    sign_in(client, family.user("aanspreekpunt"))
    first = _adopt(client, family, "Zorgoverleg maart")
    edit(db, plan, _add_goal("Sporten", "g2"), family.user("moeder").id)
    second = _adopt(client, family, "Zorgoverleg juni")
    assert (first["number"], second["number"]) == (1, 2)
    assert first["previous_hash"] == "0" * 64
    assert second["previous_hash"] == first["content_hash"]
    listing = client.get(f"/api/cases/{family.case.id}/versions").json()
    assert listing["chain_ok"] is True
    assert [v["number"] for v in listing["versions"]] == [2, 1]
    frozen = db.exec(select(VersionDocument).join(Version).where(Version.number == 1)).all()
    plan_row = next(r for r in frozen if r.document_id == plan)
    assert [g["doel"] for g in read_document("plan", versions_doc(plan_row.state))["doelen"]] == [
        "Naar school gaan"
    ]


def versions_doc(state: bytes) -> Doc:
    doc = Doc(skip_gc=True)
    doc.apply_update(state)
    return doc


def test_a_changed_snapshot_breaks_the_chain(
    client: TestClient, family: Family, db: Session
) -> None:
    plan = document_id(db, family.case.id, "plan")
    edit(db, plan, _add_goal("Naar school gaan"), None)
    sign_in(client, family.user("aanspreekpunt"))
    _adopt(client, family, "Eerste")
    _adopt(client, family, "Tweede")
    row = db.exec(
        select(VersionDocument)
        .join(Version)
        .where(Version.number == 1, VersionDocument.document_id == plan)
    ).one()
    forged = Doc(skip_gc=True)
    forged.apply_update(row.state)
    forged.get("doelen", type=Array)[0]["doel"].insert(0, "NIET ")
    row.state = forged.get_update()
    db.add(row)
    db.commit()
    report = versions.verify_chain(db, case_id=family.case.id)
    assert (report.ok, report.broken_at) == (False, 1)
    assert client.get(f"/api/cases/{family.case.id}/versions").json()["chain_ok"] is False
    assert "klopt niet meer" in client.get(f"/cases/{family.case.id}/versies").text


def test_changed_metadata_and_a_deleted_version_are_found(
    client: TestClient, family: Family, db: Session
) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    for title in ("Een", "Twee", "Drie"):
        _adopt(client, family, title)
    second = db.exec(select(Version).where(Version.number == 2)).one()
    second.decisions = "Iets anders besloten"
    db.add(second)
    db.commit()
    assert versions.verify_chain(db, case_id=family.case.id).broken_at == 2
    second.decisions = "Samen verder."
    db.add(second)
    db.commit()
    assert versions.verify_chain(db, case_id=family.case.id).ok
    for row in db.exec(
        select(VersionDocument).where(VersionDocument.version_id == second.id)
    ).all():
        db.delete(row)
    db.commit()
    db.delete(second)
    db.commit()
    report = versions.verify_chain(db, case_id=family.case.id)
    assert (report.ok, report.broken_at) == (False, 3)


def test_only_the_aanspreekpunt_adopts(client: TestClient, family: Family) -> None:
    sign_in(client, family.user("specialist"))
    response = client.post(f"/api/cases/{family.case.id}/versions", json={"title": "Mag niet"})
    assert response.status_code == 403
    client.post("/logout")
    sign_in(client, family.user("vreemde"))
    assert (
        client.post(f"/api/cases/{family.case.id}/versions", json={"title": "X"}).status_code == 404
    )


def test_adopt_form_errors_keep_what_was_typed(client: TestClient, family: Family) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    response = client.post(
        f"/cases/{family.case.id}/versies",
        data={"title": "", "decisions": "We gaan door", "next_evaluation_date": "morgen"},
    )
    assert response.status_code == 422
    assert "Geef de versie een naam" in response.text
    assert "volgende evaluatie in als dag" in response.text
    assert "We gaan door" in response.text


def test_each_participant_records_their_own_answer(client: TestClient, family: Family) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    _adopt(client, family, "Zorgoverleg")
    client.post("/logout")
    sign_in(client, family.user("jongere"))
    path = f"/cases/{family.case.id}/versies/1/akkoord"
    assert client.post(path, data={"decision": "akkoord"}).status_code == 303
    client.post("/logout")
    sign_in(client, family.user("moeder"))
    missing = client.post(path, data={"decision": "niet_akkoord", "remark": ""})
    assert missing.status_code == 422
    assert "waarom je het niet eens bent" in missing.text
    assert (
        client.post(path, data={"decision": "niet_akkoord", "remark": "Te snel"}).status_code == 303
    )
    approvals = {
        a["name"]: (a["decision"], a["remark"])
        for a in client.get(f"/api/cases/{family.case.id}/versions").json()["versions"][0][
            "approvals"
        ]
    }
    assert approvals[family.user("jongere").name] == ("akkoord", "")
    assert approvals[family.user("moeder").name] == ("niet_akkoord", "Te snel")
    assert approvals[family.user("specialist").name] == (None, "")
    # a parent without gezag does not read the plan, so is not asked for akkoord
    assert family.user("vader").name not in approvals


def test_compare_names_what_changed_and_who_changed_it(
    client: TestClient, family: Family, db: Session
) -> None:
    plan = document_id(db, family.case.id, "plan")
    edit(db, plan, _add_goal("Naar school gaan"), family.user("jongere").id)
    sign_in(client, family.user("aanspreekpunt"))
    _adopt(client, family, "Voor")

    def rewrite(doc: Doc) -> None:
        goal = doc.get("doelen", type=Array)[0]
        goal["doel"].insert(0, "Elke dag ")
        goal["acties"].append(Map({"id": "a1", "wat": Text("Wekker zetten"), "status": "te_doen"}))

    edit(db, plan, rewrite, family.user("moeder").id)
    edit(db, plan, _add_goal("Voetballen", "g2"), family.user("moeder").id)
    _adopt(client, family, "Na")
    page = client.get(f"/cases/{family.case.id}/versies/vergelijk?van=1&naar=2")
    assert page.status_code == 200
    text = page.text
    assert "Plan van aanpak" in text
    assert "<del>Naar school gaan</del>" in text
    assert "<ins>Elke dag Naar school gaan</ins>" in text
    assert "Wekker zetten" in text and "Voetballen" in text
    assert f"Veranderd door: {family.user('moeder').name}" in text
    assert family.user("jongere").name not in text.split("Veranderd door:")[1].split("</p>")[0]


def test_restore_writes_the_old_content_as_a_new_change(
    client: TestClient, family: Family, db: Session
) -> None:
    plan = document_id(db, family.case.id, "plan")
    edit(db, plan, _add_goal("Naar school gaan"), None)
    sign_in(client, family.user("aanspreekpunt"))
    _adopt(client, family, "Goed plan")
    edit(db, plan, lambda doc: doc.get("doelen", type=Array).__delitem__(0), None)
    assert _goal_texts(db, plan) == []
    response = client.post(
        f"/cases/{family.case.id}/versies/1/herstellen", data={"bevestigd": "ja"}
    )
    assert response.status_code == 303
    assert _goal_texts(db, plan) == ["Naar school gaan"]
    # history is kept: version 1 still verifies and a new version can follow
    assert versions.verify_chain(db, case_id=family.case.id).ok


def test_only_the_aanspreekpunt_restores(client: TestClient, family: Family) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    _adopt(client, family, "Een")
    client.post("/logout")
    sign_in(client, family.user("jongere"))
    assert client.post(f"/cases/{family.case.id}/versies/1/herstellen").status_code == 403


def test_history_page_lists_hash_adopter_and_approvals(client: TestClient, family: Family) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    version = _adopt(client, family, "Zorgoverleg")
    client.post(f"/cases/{family.case.id}/versies/1/akkoord", data={"decision": "akkoord"})
    page = client.get(f"/cases/{family.case.id}/versies").text
    assert "Versie 1: Zorgoverleg" in page
    assert f"door {family.user('aanspreekpunt').name}" in page
    code = version["content_hash"][:12].upper()
    assert f"Echtheidscode {code[:4]}-{code[4:8]}-{code[8:]}" in page
    assert f"{family.user('aanspreekpunt').name} (akkoord)" in page


def test_the_default_comparison_is_the_newest_version_against_now(
    client: TestClient, family: Family, db: Session
) -> None:
    plan = document_id(db, family.case.id, "plan")
    edit(db, plan, _add_goal("Naar school gaan"), family.user("jongere").id)
    sign_in(client, family.user("aanspreekpunt"))
    _adopt(client, family, "Maart")
    edit(db, plan, _add_goal("Sporten", "g2"), family.user("moeder").id)
    _adopt(client, family, "Juni")
    edit(db, plan, _add_goal("Een bijbaantje zoeken", "g3"), family.user("jongere").id)
    page = client.get(f"/cases/{family.case.id}/versies/vergelijk").text
    assert "Van <strong>versie 2: Juni</strong> naar <strong>de stand van nu</strong>" in page
    assert "Een bijbaantje zoeken" in page and "Sporten" not in page
    form = client.get(f"/cases/{family.case.id}/versies").text.split("Wat is er veranderd?")[1]
    assert '<option value="2" selected>Versie 2: Juni</option>' in form
    assert '<option value="nu" selected>De stand van nu</option>' in form


def _pdf_text(pdf: bytes, tmp_path) -> str:  # type: ignore[no-untyped-def]
    import subprocess

    path = tmp_path / "plan.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_the_next_evaluation_date_carries_over_to_a_version_that_did_not_change_it(
    client: TestClient, family: Family, tmp_path
) -> None:
    from datetime import timedelta

    from app.dutch import dutch_date
    from app.models import today

    evaluation = today() + timedelta(days=60)
    sign_in(client, family.user("aanspreekpunt"))
    first = client.post(
        f"/api/cases/{family.case.id}/versions",
        json={"title": "Maart", "next_evaluation_date": evaluation.isoformat()},
    ).json()
    assert first["next_evaluation_date"] == evaluation.isoformat()
    # the form for the next version shows the planned date already
    form = client.get(f"/cases/{family.case.id}/versies").text
    assert f'value="{evaluation.isoformat()}"' in form
    second = _adopt(client, family, "Juni")
    assert second["next_evaluation_date"] == evaluation.isoformat()
    text = _pdf_text(client.get(f"/cases/{family.case.id}/versies/2/print.pdf").content, tmp_path)
    assert dutch_date(evaluation) in text
    assert "nog niet gepland" not in text


def test_a_passed_evaluation_date_is_not_carried_over(
    client: TestClient, family: Family, db: Session
) -> None:
    from datetime import timedelta

    from app.models import today, utcnow
    from app.services import versions as versions_service

    # Adopted a month ago, with an evaluation that was yesterday.
    versions_service.adopt(
        db,
        actor=family.user("aanspreekpunt"),
        case_id=family.case.id,
        title="Maart",
        next_evaluation_date=(today() - timedelta(days=1)).isoformat(),
        states={},
        settings=client.app.state.settings,  # type: ignore[attr-defined]
        adopted_at=utcnow() - timedelta(days=30),
    )
    sign_in(client, family.user("aanspreekpunt"))
    assert _adopt(client, family, "Juni")["next_evaluation_date"] is None


def test_an_evaluation_date_before_today_or_before_the_meeting_is_refused(
    client: TestClient, family: Family
) -> None:
    from datetime import timedelta

    from app.models import today

    sign_in(client, family.user("aanspreekpunt"))
    api = f"/api/cases/{family.case.id}/versions"
    soon = today() + timedelta(days=14)
    for form, field, said in [
        ({"next_evaluation_date": "2026-01-01"}, "next_evaluation_date", "al voorbij"),
        (
            {"meeting_date": soon.isoformat(), "next_evaluation_date": soon.isoformat()},
            "next_evaluation_date",
            "na het zorgoverleg",
        ),
        (
            {"meeting_date": (today() + timedelta(days=800)).isoformat()},
            "meeting_date",
            "meer dan een jaar",
        ),
    ]:
        refused = client.post(api, json={"title": "Overleg", **form})
        assert refused.status_code == 422, form
        assert said in refused.json()["fields"][field]
    assert client.get(api).json()["versions"] == []


def _tell(text: str):  # type: ignore[no-untyped-def]
    """Replace the help question of a story with ``text``."""

    def change(doc: Doc) -> None:
        question = doc.get("hulpvraag", type=Text)
        del question[:]
        question.insert(0, text)

    return change


def _help_question(db: Session, story: str, owner: int) -> str:
    return str(read_document(f"verhaal/{owner}", stored_doc(db, story))["hulpvraag"])


def _updates_by(db: Session, doc_id: str, user_id: int | None) -> int:
    return len(
        db.exec(
            select(DocumentUpdate).where(
                DocumentUpdate.document_id == doc_id, DocumentUpdate.author_user_id == user_id
            )
        ).all()
    )


def test_a_restore_leaves_the_story_of_a_youth_who_turned_off_writing_on_her_behalf_as_she_wrote_it(
    client: TestClient, family: Family, db: Session
) -> None:
    youth = family.places["jongere"]
    story = document_id(db, family.case.id, "verhaal", youth.id)
    plan = document_id(db, family.case.id, "plan")
    edit(db, story, _tell("Ik wil weer naar school."), family.user("jongere").id)
    edit(db, plan, _add_goal("Naar school gaan"), family.user("jongere").id)
    sign_in(client, family.user("aanspreekpunt"))
    _adopt(client, family, "Zorgoverleg maart")
    client.post("/logout")
    # the youth writes on, and turns off writing on her behalf (the box left unticked)
    sign_in(client, family.user("jongere"))
    edit(db, story, _tell("Ik wil een bijbaantje."), family.user("jongere").id)
    edit(db, plan, lambda doc: doc.get("doelen", type=Array).__delitem__(0), None)
    lezers = client.post(
        f"/cases/{family.case.id}/docs/{story}/lezers", data={"readers": "default"}
    )
    assert lezers.status_code == 303
    client.post("/logout")
    sign_in(client, family.user("aanspreekpunt"))
    listing = client.get(f"/api/cases/{family.case.id}/documents").json()
    assert {d["section"]: d["access"] for d in listing}[f"verhaal/{youth.id}"] == "view"
    helper = family.user("aanspreekpunt").id

    response = client.post(
        f"/cases/{family.case.id}/versies/1/herstellen", data={"bevestigd": "ja"}
    )

    assert response.status_code == 303
    assert _help_question(db, story, youth.id) == "Ik wil een bijbaantje."
    assert _updates_by(db, story, helper) == 0
    assert _goal_texts(db, plan) == ["Naar school gaan"]  # what she may edit is restored
    printed = client.get(f"/cases/{family.case.id}/print").text  # the live state, via the rooms
    assert "Ik wil een bijbaantje." in printed and "Ik wil weer naar school." not in printed
    page = client.get(response.headers["location"]).text
    name = family.user("jongere").name
    assert (
        f"Het eigen verhaal van {name} is niet teruggezet: alleen {name} mag daarin schrijven."
        in page
    )
    assert "De inhoud van versie 1 staat weer in het plan (1 stuk aangepast)." in page
