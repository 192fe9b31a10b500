"""An organisation administrator gives and takes the professional property."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import User
from tests.conftest import Family, make_user, sign_in


def test_an_administrator_makes_someone_a_professional_who_can_then_add_a_case(
    client: TestClient, family: Family, db: Session
) -> None:
    admin = make_user(db, "Beheerder", admin=True)
    newcomer = family.user("vreemde")
    sign_in(client, admin)
    page = client.get("/beheer/accounts")
    assert page.status_code == 200
    assert newcomer.email in page.text and "Maak hulpverlener" in page.text
    response = client.post(
        f"/beheer/accounts/{newcomer.id}/hulpverlener", data={"professional": "ja"}
    )
    assert response.status_code == 303
    client.post("/logout")
    sign_in(client, newcomer)  # now a professional: sets up two-factor sign-in first
    created = client.post("/cases", data={"label": "Nieuw", "youth_birth_date": "2012-01-01"})
    assert created.status_code == 303


def test_an_administrator_takes_the_professional_property_away(
    client: TestClient, family: Family, db: Session
) -> None:
    admin = make_user(db, "Beheerder", admin=True)
    specialist = family.user("specialist")
    sign_in(client, admin)
    client.post(f"/beheer/accounts/{specialist.id}/hulpverlener", data={"professional": "nee"})
    db.expire_all()
    assert db.get(User, specialist.id).is_professional is False  # type: ignore[union-attr]


def test_only_an_administrator_sees_or_changes_accounts(
    client: TestClient, family: Family, db: Session
) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    page = client.get("/beheer/accounts")
    assert page.status_code == 403
    assert "beheerder" in page.text
    refused = client.post(
        f"/beheer/accounts/{family.user('vreemde').id}/hulpverlener", data={"professional": "ja"}
    )
    assert refused.status_code == 403
    db.expire_all()
    assert db.get(User, family.user("vreemde").id).is_professional is False  # type: ignore[union-attr]
    assert "Beheer" not in client.get("/").text.split("<main")[0]
