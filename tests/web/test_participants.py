"""The aanspreekpunt changes roles and removes participants; it works at once."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Family, sign_in


def _sections(client: TestClient, family: Family) -> dict[str, str]:
    response = client.get(f"/api/cases/{family.case.id}/documents")
    return (
        {d["section"]: d["access"] for d in response.json()} if response.status_code == 200 else {}
    )


def test_removal_takes_effect_on_the_next_request(app, family: Family) -> None:
    with (
        TestClient(app, headers={"Origin": "http://testserver"}, follow_redirects=False) as lead,
        TestClient(app, headers={"Origin": "http://testserver"}, follow_redirects=False) as mother,
    ):
        sign_in(lead, family.user("aanspreekpunt"))
        sign_in(mother, family.user("moeder"))
        assert mother.get(f"/cases/{family.case.id}").status_code == 200
        response = lead.post(
            f"/cases/{family.case.id}/deelnemers/{family.places['moeder'].id}/verwijderen",
            data={"bevestigd": "ja"},
        )
        assert response.status_code == 303
        assert mother.get(f"/cases/{family.case.id}").status_code == 404
        assert mother.get(f"/api/cases/{family.case.id}/documents").status_code == 404
        assert "Moeder" not in lead.get(f"/cases/{family.case.id}").text


def test_giving_a_parent_gezag_opens_the_shared_documents(
    client: TestClient, family: Family
) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    response = client.post(
        f"/cases/{family.case.id}/deelnemers/{family.places['vader'].id}",
        data={"role": "ouder", "gezag": "true"},
    )
    assert response.status_code == 303
    client.post("/logout")
    sign_in(client, family.user("vader"))
    assert _sections(client, family)["analyse"] == "edit"


def test_closing_veiligheid_for_a_parent_hides_it(client: TestClient, family: Family) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    client.post(
        f"/cases/{family.case.id}/deelnemers/{family.places['moeder'].id}",
        data={"role": "ouder", "gezag": "true", "safety_closed": "true"},
    )
    client.post("/logout")
    sign_in(client, family.user("moeder"))
    sections = _sections(client, family)
    assert "veiligheid" not in sections
    assert sections["plan"] == "edit"


def test_the_last_aanspreekpunt_cannot_leave(client: TestClient, family: Family) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    me = family.places["aanspreekpunt"].id
    response = client.post(f"/cases/{family.case.id}/deelnemers/{me}", data={"role": "netwerk"})
    assert response.status_code == 422
    assert "altijd een vast aanspreekpunt" in response.text
    assert client.get(f"/cases/{family.case.id}/deelnemers").status_code == 200


def test_changing_someone_in_another_case_is_404(client: TestClient, family: Family) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    response = client.post(f"/cases/{family.case.id}/deelnemers/999999", data={"role": "netwerk"})
    assert response.status_code == 404


def test_an_unknown_role_is_refused_with_a_message(client: TestClient, family: Family) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    response = client.post(
        f"/cases/{family.case.id}/deelnemers/{family.places['oma'].id}", data={"role": "koning"}
    )
    assert response.status_code == 422
    assert "Kies een rol" in response.text


def test_lowering_a_specialist_to_netwerk_closes_the_analysis(
    client: TestClient, family: Family
) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    client.post(
        f"/cases/{family.case.id}/deelnemers/{family.places['specialist'].id}",
        data={"role": "netwerk"},
    )
    client.post("/logout")
    sign_in(client, family.user("specialist"))
    assert "analyse" not in _sections(client, family)
