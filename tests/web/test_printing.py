"""Printing for the zorgoverleg: only what the reader may read, on HTML and in the PDF."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pycrdt import Array, Doc, Map, Text
from sqlmodel import Session, select

from app.dutch import dutch_date
from app.models import AuditEntry, today
from tests.conftest import Family, sign_in
from tests.docs_helpers import document_id, edit

SAFETY_MARKER = "VEILIGHEIDSMARKER-7f3a"
PLAN_MARKER = "Elke ochtend op tijd op school"


@pytest.fixture
def filled(db: Session, family: Family) -> Family:
    case_id = family.case.id

    def plan(doc: Doc) -> None:
        doc.get("doelen", type=Array).append(
            Map(
                {
                    "id": "g1",
                    "doel": Text(PLAN_MARKER),
                    "status": "actief",
                    "domein": "school_werk",
                    "acties": Array(
                        [
                            Map(
                                {
                                    "id": "a1",
                                    "wat": Text("Wekker zetten"),
                                    "wie": str(family.places["jongere"].id),
                                    "wanneer": Text("elke avond"),
                                    "status": "te_doen",
                                }
                            )
                        ]
                    ),
                }
            )
        )

    def safety(doc: Doc) -> None:
        doc.get("zorgen", type=Array).append(Map({"id": "z1", "tekst": Text(SAFETY_MARKER)}))

    def perspective(doc: Doc) -> None:
        doc.get("domein.wonen.huidige_situatie", type=Text).insert(0, "Woont thuis bij moeder")
        doc.get("domein.wonen", type=Map)["schaal_jongere"] = 7

    def analysis(doc: Doc) -> None:
        doc.get("verschillen", type=Text).insert(0, "Moeder en vader zien het anders")

    def story(doc: Doc) -> None:
        doc.get("hulpvraag", type=Text).insert(0, "Ik wil weer naar school")

    edit(db, document_id(db, case_id, "plan"), plan, family.user("jongere").id)
    edit(db, document_id(db, case_id, "veiligheid"), safety, family.user("specialist").id)
    edit(db, document_id(db, case_id, "perspectief"), perspective, family.user("jongere").id)
    edit(db, document_id(db, case_id, "analyse"), analysis, family.user("aanspreekpunt").id)
    edit(
        db,
        document_id(db, case_id, "verhaal", family.places["jongere"].id),
        story,
        family.user("jongere").id,
    )
    return family


def test_concept_print_holds_every_part_for_the_zorgoverleg(
    client: TestClient, filled: Family
) -> None:
    sign_in(client, filled.user("specialist"))
    page = client.get(f"/cases/{filled.case.id}/print")
    assert page.status_code == 200
    text = page.text
    for expected in [
        "CONCEPT",
        "Wie doen er mee?",
        "Waar wil iedereen hulp bij?",
        "Ik wil weer naar school",
        "Gedeelde analyse",
        "Moeder en vader zien het anders",
        "Doelen en acties",
        PLAN_MARKER,
        "Wekker zetten",
        filled.user("jongere").name,
        "elke avond",
        "Big Five",
        "Woont thuis bij moeder",
        "Besluiten en volgende evaluatie",
        "Akkoord",
        "Handtekening",
        SAFETY_MARKER,
        'href="/static/print.css"',
    ]:
        assert expected in text, expected
    assert "counter(page)" in client.get("/static/print.css").text  # page numbers on paper


def test_the_print_page_holds_its_content_in_main_and_wide_tables_in_their_own_box(
    client: TestClient, filled: Family
) -> None:
    """How it looks on a phone is measured in tests/browser/test_printing.py."""
    sign_in(client, filled.user("specialist"))
    text = client.get(f"/cases/{filled.case.id}/print").text
    body = text[text.index("<body>") + len("<body>") : text.index("</body>")].strip()
    assert body.startswith('<main class="sheet">') and body.endswith("</main>")
    assert text.count("<main") == 1
    # the tables of several columns scroll sideways on a phone, in a box a keyboard reaches
    for table in re.findall(r"(.{0,120})<table class=\"grid(?: actions)?\">", text, re.S):
        assert '<div class="table-scroll" role="region"' in table and 'tabindex="0"' in table
    # the Big Five (eight columns) reads as labelled lines on a phone
    bigfive = text[text.index('<table class="grid bigfive stack-on-phone">') :]
    bigfive = bigfive[: bigfive.index("</table>")]
    assert '<td data-label="Hoe gaat het nu?">' in bigfive


def test_print_leaves_out_what_the_reader_may_not_read(client: TestClient, filled: Family) -> None:
    sign_in(client, filled.user("oma"))
    text = client.get(f"/cases/{filled.case.id}/print").text
    assert SAFETY_MARKER not in text
    assert PLAN_MARKER not in text
    # an own story is for whom its owner chooses: by default not for the network
    assert "Ik wil weer naar school" not in text


def test_adopted_version_prints_as_vastgesteld_with_its_hash(
    client: TestClient, filled: Family
) -> None:
    sign_in(client, filled.user("aanspreekpunt"))
    evaluation = today() + timedelta(days=45)
    version = client.post(
        f"/api/cases/{filled.case.id}/versions",
        json={
            "title": "Zorgoverleg",
            "decisions": "Sanne gaat weer naar school.",
            "next_evaluation_date": evaluation.isoformat(),
        },
    ).json()
    text = client.get(f"/cases/{filled.case.id}/versies/1/print").text
    assert "VASTGESTELD" in text
    assert version["content_hash"] in text
    assert "Sanne gaat weer naar school." in text
    assert dutch_date(evaluation) in text


def test_printing_is_logged(client: TestClient, filled: Family, db: Session) -> None:
    sign_in(client, filled.user("moeder"))
    client.get(f"/cases/{filled.case.id}/print")
    actions = [
        e.action
        for e in db.exec(select(AuditEntry).where(AuditEntry.case_id == filled.case.id)).all()
    ]
    assert "print" in actions


@pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="needs poppler-utils (make test installs it)"
)
def test_pdf_text_has_the_sections_and_nothing_the_reader_may_not_read(
    client: TestClient, filled: Family, db: Session, tmp_path: Path
) -> None:
    def pdf_text(who: str) -> str:
        sign_in(client, filled.user(who))
        response = client.get(f"/cases/{filled.case.id}/print.pdf")
        client.post("/logout")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        path = tmp_path / f"{who}.pdf"
        path.write_bytes(response.content)
        return subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout

    specialist = pdf_text("specialist")
    for expected in [
        "CONCEPT",
        "Doelen en acties",
        PLAN_MARKER,
        "Big Five",
        SAFETY_MARKER,
        "Pagina 1 van",
    ]:
        assert expected in specialist, expected
    father_without_gezag = pdf_text("vader")  # no gezag: no shared documents, no safety
    assert SAFETY_MARKER not in father_without_gezag
    assert PLAN_MARKER not in father_without_gezag
    actions = [e.action for e in db.exec(select(AuditEntry)).all()]
    assert "export" in actions
