"""Language and reading on pages: the youth reads about herself in the second person, parents
read plainly with her name, jargon comes with a plain word first, and the akkoord form comes
after the content it is about."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from pycrdt import Doc, Map, Text
from sqlmodel import Session

from tests.conftest import Family, sign_in
from tests.docs_helpers import document_id, edit


def _perspective(db: Session, family: Family) -> None:
    def change(doc: Doc) -> None:
        doc.get("domein.welzijn.wens_jongere", type=Text).insert(0, "Rustiger worden.")
        values = doc.get("domein.welzijn", type=Map)
        values["schaal_jongere"] = 5.0
        values["zelfredzaamheid"] = 2.0

    edit(db, document_id(db, family.case.id, "perspectief"), change, family.user("jongere").id)


def _adopt(client: TestClient, family: Family) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    made = client.post(f"/api/cases/{family.case.id}/versions", json={"title": "Maart"})
    assert made.status_code == 201
    client.post("/logout")


def test_the_youth_reads_about_herself_in_the_second_person(
    client: TestClient, family: Family, db: Session
) -> None:
    _perspective(db, family)
    _adopt(client, family)
    sign_in(client, family.user("jongere"))
    case_page = client.get(f"/cases/{family.case.id}").text
    assert "Je bent 14 jaar." in case_page and "Jongere: 14" not in case_page
    consent_page = " ".join(client.get(f"/cases/{family.case.id}/toestemming").text.split())
    assert "Je bent nu 14 jaar. Daarom beslis je samen met je ouders met gezag." in consent_page
    assert "Nog nodig: toestemming van jou en Moeder." in consent_page
    for path in (f"/cases/{family.case.id}/versies/1", f"/cases/{family.case.id}/print"):
        page = client.get(path).text
        assert "Wat wil jij?" in page and "Jouw cijfer" in page, path
        assert "Wat wil de jongere?" not in page and "Cijfer van de jongere" not in page, path


def test_parents_read_plainly_with_the_youths_name(
    client: TestClient, family: Family, db: Session
) -> None:
    _perspective(db, family)
    _adopt(client, family)
    youth = family.user("jongere").name
    sign_in(client, family.user("moeder"))
    assert f"{youth} is 14 jaar." in client.get(f"/cases/{family.case.id}").text
    consent_page = " ".join(client.get(f"/cases/{family.case.id}/toestemming").text.split())
    assert f"Daarom beslissen {youth} en de ouders met gezag samen." in consent_page


def test_jargon_comes_with_a_plain_word_first(
    client: TestClient, family: Family, db: Session
) -> None:
    _perspective(db, family)
    _adopt(client, family)
    sign_in(client, family.user("moeder"))
    version = client.get(f"/cases/{family.case.id}/versies/1").text
    assert re.search(
        r"Echtheidscode: <strong>[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}</strong>", version
    )
    assert not re.search(r"[0-9a-f]{64}", version)  # no 64-character code on the page
    printed = client.get(f"/cases/{family.case.id}/print").text
    assert "Hoe goed lukt het zonder hulp? (zelfredzaamheid, 1 tot 5)" in printed
    case_page = client.get(f"/cases/{family.case.id}").text
    assert "waar hij of zij hulp bij wil (de hulpvraag)" in case_page


def test_the_akkoord_form_comes_after_the_content_it_is_about(
    client: TestClient, family: Family, db: Session
) -> None:
    _perspective(db, family)
    _adopt(client, family)
    sign_in(client, family.user("moeder"))
    page = client.get(f"/cases/{family.case.id}/versies/1").text
    assert page.index("Toekomstperspectief") < page.index("Ben je het eens met deze versie?")
