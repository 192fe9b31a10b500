"""Every request that changes state must come from our own origin."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, Family, sign_in


def _state_changing_requests(family: Family) -> list[tuple[str, dict[str, str]]]:
    case_id = family.case.id
    moeder = family.places["moeder"].id
    return [
        ("/login", {"email": family.user("jongere").email, "password": PASSWORD}),
        ("/logout", {}),
        ("/cases", {"label": "Gezin X", "youth_birth_date": "2012-01-01"}),
        (f"/cases/{case_id}/uitnodigingen", {"email": "x@voorbeeld.nl", "role": "netwerk"}),
        (f"/cases/{case_id}/deelnemers/{moeder}", {"role": "ouder"}),
        (f"/cases/{case_id}/deelnemers/{moeder}/verwijderen", {"bevestigd": "ja"}),
    ]


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://testserver", "Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {},
    ],
    ids=["other-origin", "null-origin", "cross-site-fetch", "same-site-fetch", "no-origin"],
)
def test_cross_site_state_changes_are_refused_with_403(
    client: TestClient, family: Family, headers: dict[str, str]
) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    client.headers.pop("Origin")
    for path, data in _state_changing_requests(family):
        response = client.post(path, data=data, headers=headers)
        assert response.status_code == 403, path
        assert "niet van een pagina van eenplan" in response.text
    client.headers["Origin"] = "http://testserver"
    # nothing changed: the mother is still in the case and the aanspreekpunt still signed in
    assert "Moeder" in client.get(f"/cases/{family.case.id}").text


def test_htmx_requests_from_our_own_pages_pass(client: TestClient, family: Family) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    response = client.post(
        f"/cases/{family.case.id}/uitnodigingen",
        data={"email": "mentor@voorbeeld.nl", "role": "netwerk"},
        headers={"HX-Request": "true", "Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == 201
    assert response.text.lstrip().startswith('<section id="uitnodigen"')


def test_api_refusal_is_json(client: TestClient, family: Family) -> None:
    response = client.post(
        f"/api/cases/{family.case.id}/documents", headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert "eenplan" in response.json()["detail"]
