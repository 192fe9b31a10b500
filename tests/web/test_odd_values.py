"""Odd values that a person (or an attacker) can put in a document or an address never make
a page fail: a person id written as "²" (``str.isdigit`` says yes, ``int`` says no), huge
numbers in addresses, and digits from other scripts in a sign-in code."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from pycrdt import Array, Doc, Map, Text
from sqlmodel import Session

from tests.conftest import PASSWORD, Family, make_user, sign_in
from tests.docs_helpers import document_id, edit

HUGE = "99999999999999999999999"


@pytest.fixture
def odd_plan(db: Session, family: Family) -> Family:
    def plan(doc: Doc) -> None:
        doc.get("doelen", type=Array).append(
            Map(
                {
                    "id": "d1",
                    "doel": Text("Naar school gaan"),
                    "status": "loopt",
                    "acties": Array([Map({"id": "a1", "wat": Text("Wekker zetten"), "wie": "²"})]),
                }
            )
        )

    edit(db, document_id(db, family.case.id, "plan"), plan, family.user("jongere").id)
    return family


def test_a_person_id_that_is_not_ascii_digits_reads_as_nobody_on_every_page(
    client: TestClient, odd_plan: Family, db: Session
) -> None:
    sign_in(client, odd_plan.user("aanspreekpunt"))
    case = odd_plan.case.id
    plan_id = document_id(db, case, "plan")
    for path in (
        f"/cases/{case}",
        f"/cases/{case}/docs/{plan_id}",
        f"/cases/{case}/print",
        f"/cases/{case}/voortgang",
        f"/api/cases/{case}/progress",
        f"/api/cases/{case}/changes",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
    assert "Wekker zetten" in client.get(f"/cases/{case}/print").text


@pytest.mark.parametrize(
    "path",
    [
        "/cases/{case}/versies/" + HUGE,
        "/cases/{case}/versies/vergelijk?van=" + HUGE,
        "/cases/{case}/versies/vergelijk?naar=²",
        "/cases/{case}/versies/vergelijk?naar=" + HUGE,
        "/cases/{case}/versies/auto/" + HUGE,
        "/cases/{case}/versies/" + HUGE + "/print",
    ],
)
def test_odd_numbers_in_an_address_give_a_plain_answer_not_an_error(
    client: TestClient, family: Family, path: str
) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    response = client.get(path.format(case=family.case.id))
    assert response.status_code in (404, 422), response.text
    assert "Er ging iets mis aan onze kant" not in response.text


def test_a_sign_in_code_in_other_digits_is_simply_wrong(client: TestClient, db: Session) -> None:
    user = make_user(db, "Bram Specialist", professional=True, totp=True)
    first = client.post("/login", data={"email": user.email, "password": PASSWORD})
    pending = re.search(r'name="pending" value="([^"]+)"', first.text)
    assert pending is not None
    for code in ("²²²²²²", "١٢٣٤٥٦"):
        response = client.post("/login", data={"pending": pending.group(1), "code": code})
        assert response.status_code == 400, response.text
        assert "code klopt niet" in response.text
