"""Every error as a person meets it: a Dutch page (or a redirect) in the browser, JSON with
``detail`` (and ``fields``) in the API; never a stack trace."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import ORIGIN, Family, sign_in


@pytest.fixture
def failing_client(app: FastAPI) -> Iterator[TestClient]:
    """A client that gets the 500 answer instead of the exception."""

    def boom() -> None:
        raise RuntimeError("geheim detail uit de stack trace")

    app.add_api_route("/kapot", boom)
    app.add_api_route("/api/kapot", boom)
    with TestClient(
        app, headers={"Origin": ORIGIN}, follow_redirects=False, raise_server_exceptions=False
    ) as test_client:
        yield test_client


def test_pages_never_show_a_stack_trace(client: TestClient, family: Family) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    response = client.post(f"/cases/{family.case.id}/deelnemers/not-a-number", data={"role": "x"})
    assert response.status_code == 422
    assert "Traceback" not in response.text
    assert 'lang="nl"' in response.text


def test_an_unknown_page_is_a_dutch_page_and_an_unknown_api_path_is_json(
    client: TestClient, family: Family
) -> None:
    sign_in(client, family.user("jongere"))
    page = client.get("/bestaat-niet")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Deze pagina bestaat niet" in page.text
    api = client.get("/api/bestaat-niet")
    assert api.status_code == 404
    assert api.json() == {"detail": "Deze pagina bestaat niet, of je hebt er geen toegang toe."}


def test_a_refusal_by_a_service_is_a_dutch_page_or_json_with_its_fields(
    client: TestClient, family: Family
) -> None:
    sign_in(client, family.user("jongere"))
    page = client.get("/cases/new")
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    assert "Alleen hulpverleners" in page.text
    api = client.post(f"/api/cases/{family.case.id}/versions", json={"title": "Overleg"})
    assert (api.status_code, api.json()) == (
        403,
        {"detail": "Alleen het vaste aanspreekpunt kan dit doen."},
    )
    client.post("/logout")
    sign_in(client, family.user("aanspreekpunt"))
    refused = client.post(f"/api/cases/{family.case.id}/versions", json={"title": " "})
    assert refused.status_code == 422
    assert refused.json()["fields"]["title"].startswith("Geef de versie een naam")


def test_a_malformed_api_request_names_the_field(client: TestClient, family: Family) -> None:
    sign_in(client, family.user("jongere"))
    response = client.post(f"/api/cases/{family.case.id}/consents", json={"audience": "school"})
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "Er ontbreekt iets of er klopt iets niet in wat je stuurde."
    assert "decision" in body["fields"]


def test_not_signed_in_redirects_a_page_and_answers_401_in_the_api(
    client: TestClient, family: Family
) -> None:
    page = client.get(f"/cases/{family.case.id}?x=1")
    assert page.status_code == 303
    assert page.headers["location"] == f"/login?next=/cases/{family.case.id}%3Fx%3D1"
    api = client.get(f"/api/cases/{family.case.id}/documents")
    assert (api.status_code, api.json()) == (401, {"detail": "Je bent niet ingelogd."})


def test_an_unexpected_error_is_a_calm_dutch_answer_without_its_details(
    failing_client: TestClient,
) -> None:
    page = failing_client.get("/kapot")
    assert page.status_code == 500
    assert "Je gegevens zijn niet verloren" in page.text
    assert "geheim detail" not in page.text
    assert "content-security-policy" in page.headers
    api = failing_client.get("/api/kapot")
    assert api.status_code == 500
    assert api.json()["detail"].startswith("Er ging iets mis aan onze kant.")
