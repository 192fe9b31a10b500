"""Creating a case: the creator becomes aanspreekpunt; the documents exist at once."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.conftest import Family, make_user, sign_in


def test_creating_a_case_makes_you_its_aanspreekpunt(
    client: TestClient, family: Family, db: Session
) -> None:
    sign_in(client, make_user(db, "Nieuwe Hulpverlener", professional=True))
    response = client.post(
        "/cases",
        data={"label": "Gezin Nieuw", "youth_birth_date": "2011-06-01", "organisation": "WIJ"},
    )
    assert response.status_code == 303
    case_id = response.headers["location"].split("/")[2]
    assert client.get(response.headers["location"]).status_code == 200
    sections = {
        d["section"]: d["access"] for d in client.get(f"/api/cases/{case_id}/documents").json()
    }
    assert {k for k in sections if not k.startswith("verhaal/")} == {
        "analyse",
        "plan",
        "perspectief",
        "veiligheid",
    }
    assert set(sections.values()) == {"edit"}
    assert "Gezin Nieuw" in client.get("/").text


def test_case_form_errors_keep_what_was_typed(client: TestClient, family: Family) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    future = (date.today() + timedelta(days=3)).isoformat()
    response = client.post(
        "/cases", data={"label": "  ", "youth_birth_date": future, "organisation": "WIJ Noord"}
    )
    assert response.status_code == 422
    assert "Geef de casus een naam" in response.text
    assert "toekomst" in response.text
    assert 'value="WIJ Noord"' in response.text
    garbage = client.post("/cases", data={"label": "Gezin X", "youth_birth_date": "31-31-2020"})
    assert garbage.status_code == 422
    assert "dag, maand en jaar" in garbage.text


def test_a_youth_or_parent_cannot_add_a_case(client: TestClient, family: Family) -> None:
    for who in ("jongere", "moeder", "oma"):
        sign_in(client, family.user(who))
        assert client.get("/cases/new").status_code == 403
        response = client.post("/cases", data={"label": "Eigen", "youth_birth_date": "2012-01-01"})
        assert response.status_code == 403
        assert "Alleen hulpverleners" in response.text
        assert "Nieuw gezin toevoegen" not in client.get("/").text
        client.post("/logout")
    sign_in(client, family.user("specialist"))
    assert client.get("/cases/new").status_code == 200


def test_a_removed_participant_with_no_case_left_cannot_add_a_case(
    client: TestClient, family: Family
) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    oma = family.places["oma"]
    assert (
        client.post(
            f"/cases/{family.case.id}/deelnemers/{oma.id}/verwijderen", data={"bevestigd": "ja"}
        ).status_code
        == 303
    )
    client.post("/logout")
    sign_in(client, family.user("oma"))
    response = client.post("/cases", data={"label": "Mijn gezin", "youth_birth_date": "2012-01-01"})
    assert response.status_code == 403
    assert "Alleen hulpverleners" in response.text


def test_an_account_that_is_not_marked_professional_cannot_add_a_case(
    client: TestClient, family: Family
) -> None:
    sign_in(client, family.user("vreemde"))
    assert client.get("/cases/new").status_code == 403
    response = client.post("/cases", data={"label": "Nieuw", "youth_birth_date": "2012-01-01"})
    assert response.status_code == 403
