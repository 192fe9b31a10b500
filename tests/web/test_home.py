"""The start page: "Mijn plan" for the family and their network, "Mijn gezinnen" for
professionals."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Family, sign_in


def test_the_family_and_their_network_see_their_plan(client: TestClient, family: Family) -> None:
    for who in ("jongere", "moeder", "oma"):
        sign_in(client, family.user(who))
        page = client.get("/").text
        assert "<h1>Mijn plan</h1>" in page, who
        assert f"/cases/{family.case.id}" in page
        client.post("/logout")


def test_professionals_see_their_families(client: TestClient, family: Family) -> None:
    for who in ("aanspreekpunt", "specialist"):
        sign_in(client, family.user(who))
        page = client.get("/").text
        assert "<h1>Mijn gezinnen</h1>" in page, who
        assert family.case.label in page
        client.post("/logout")


def test_the_start_page_needs_a_sign_in(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
