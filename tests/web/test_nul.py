"""A NUL character never reaches the database (PostgreSQL cannot store one in text): a form,
a JSON body or an address that carries one gets a plain 400, and nothing changes."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Case, Version
from app.web.nul_guard import NUL_REFUSED
from tests.conftest import Family, sign_in


def test_a_form_with_a_nul_is_refused_and_no_case_is_made(
    client: TestClient, family: Family, db: Session
) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    before = len(db.exec(select(Case)).all())
    refused = client.post("/cases", data={"label": "Gezin\x00X", "youth_birth_date": "2012-01-01"})
    assert refused.status_code == 400 and NUL_REFUSED in refused.text
    assert len(db.exec(select(Case)).all()) == before
    made = client.post("/cases", data={"label": "Gezin X", "youth_birth_date": "2012-01-01"})
    assert made.status_code == 303  # the same form without it works


def test_json_with_a_nul_is_refused_plainly(
    client: TestClient, family: Family, db: Session
) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    refused = client.post(
        f"/api/cases/{family.case.id}/versions",
        content='{"title": "Overleg\\u0000", "decisions": "x"}',
        headers={"content-type": "application/json"},
    )
    assert refused.status_code == 400 and refused.json() == {"detail": NUL_REFUSED}
    assert db.exec(select(Version)).all() == []


def test_an_address_with_a_nul_is_refused(client: TestClient, family: Family) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    assert client.get(f"/cases/{family.case.id}/versies/vergelijk?naar=%00").status_code == 400
    assert client.get(f"/cases/{family.case.id}").status_code == 200
