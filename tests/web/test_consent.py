"""Consent through the API and the 'Toestemming' page, each participant for themself."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.services import audit
from tests.conftest import Family, sign_in


def _decide(client: TestClient, family: Family, decision: str, audience: str = "school"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/cases/{family.case.id}/consents", json={"audience": audience, "decision": decision}
    )


def test_giving_consent_answers_201_with_the_new_version(
    client: TestClient, family: Family
) -> None:
    sign_in(client, family.user("jongere"))
    response = _decide(client, family, "given")
    assert response.status_code == 201
    body = response.json()
    assert (body["version"], body["status"], body["audience"]) == (1, "given", "school")
    assert body["granted_by"]["name"] == "Jongere" and body["granted_by"]["role"] == "jongere"
    assert body["age_band"] == "12-15" and body["ground"] == "toestemming"
    assert body["valid_until"] is not None
    assert body["state"]["still_needed"] == ["Moeder"]
    withdrawn = _decide(client, family, "withdrawn").json()
    assert (withdrawn["version"], withdrawn["previous_id"]) == (2, body["id"])
    assert withdrawn["withdrawn_at"] is not None


@pytest.mark.parametrize("who", ["vader", "oma", "specialist", "aanspreekpunt"])
def test_only_the_youth_and_parents_with_gezag_can_consent(
    client: TestClient, family: Family, who: str
) -> None:
    sign_in(client, family.user(who))
    response = _decide(client, family, "given")
    assert response.status_code == 403
    assert response.json()["detail"]


def test_strangers_get_404_on_consent(client: TestClient, family: Family) -> None:
    sign_in(client, family.user("vreemde"))
    assert _decide(client, family, "given").status_code == 404
    assert client.get(f"/api/cases/{family.case.id}/consents").status_code == 404


def test_bad_decision_or_audience_is_422(client: TestClient, family: Family) -> None:
    sign_in(client, family.user("jongere"))
    assert _decide(client, family, "misschien").status_code == 422
    assert _decide(client, family, "given", audience="iedereen").status_code == 422


def test_withdrawing_what_was_never_given_is_409(client: TestClient, family: Family) -> None:
    sign_in(client, family.user("moeder"))
    assert _decide(client, family, "withdrawn").status_code == 409


def test_state_and_full_history_are_readable_by_the_family(
    client: TestClient, family: Family
) -> None:
    sign_in(client, family.user("jongere"))
    _decide(client, family, "given")
    _decide(client, family, "withdrawn")
    sign_in(client, family.user("moeder"))
    _decide(client, family, "given")
    sign_in(client, family.user("vader"))
    data = client.get(f"/api/cases/{family.case.id}/consents").json()
    assert data["age_band"] == "12-15"
    assert data["state"]["school"]["complete"] is False
    assert data["state"]["school"]["still_needed"] == ["Jongere"]
    assert [(h["granted_by"]["name"], h["status"]) for h in data["history"]] == [
        ("Moeder", "given"),
        ("Jongere", "withdrawn"),
        ("Jongere", "given"),
    ]


def test_consent_changes_are_logged(client: TestClient, family: Family, db: Session) -> None:
    sign_in(client, family.user("jongere"))
    _decide(client, family, "given")
    _decide(client, family, "withdrawn")
    entries = sorted(audit.entries(db, case_id=family.case.id), key=lambda e: e.seq)
    assert [(e.action, e.actor_name) for e in entries] == [
        ("consent_given", "Jongere"),
        ("consent_withdrawn", "Jongere"),
    ]
    assert all(e.ground == "toestemming" for e in entries)


def test_netwerk_consent_opens_the_shared_documents_for_oma_and_withdrawal_closes_them(
    client: TestClient, family: Family
) -> None:
    sign_in(client, family.user("oma"))
    assert client.get(f"/api/cases/{family.case.id}/documents").json() == [
        d
        for d in client.get(f"/api/cases/{family.case.id}/documents").json()
        if d["section"].startswith("verhaal/")
    ]
    for who in ("jongere", "moeder"):
        sign_in(client, family.user(who))
        assert _decide(client, family, "given", audience="netwerk").status_code == 201
    for who in ("oma", "vader"):
        sign_in(client, family.user(who))
        access = {
            d["section"]: d["access"]
            for d in client.get(f"/api/cases/{family.case.id}/documents").json()
        }
        assert {access.get(s) for s in ("analyse", "plan", "perspectief")} == {"view"}, who
        assert "veiligheid" not in access
    sign_in(client, family.user("jongere"))
    _decide(client, family, "withdrawn", audience="netwerk")
    sign_in(client, family.user("oma"))
    sections = {d["section"] for d in client.get(f"/api/cases/{family.case.id}/documents").json()}
    assert not sections & {"analyse", "plan", "perspectief"}


def test_consent_page_explains_what_is_shared_and_lets_you_give_and_withdraw(
    client: TestClient, family: Family
) -> None:
    sign_in(client, family.user("jongere"))
    page = client.get(f"/cases/{family.case.id}/toestemming")
    assert page.status_code == 200
    for text in (
        "Delen met school",
        "Wat wordt gedeeld?",
        "Hoe lang?",
        "Wat gebeurt er als je intrekt?",
        "Ja, ik geef toestemming",
    ):
        assert text in page.text
    given = client.post(
        f"/cases/{family.case.id}/toestemming",
        data={"audience": "school", "decision": "given", "months": "6"},
    )
    assert given.status_code == 303
    after = client.get(given.headers["location"])
    assert "Toestemming intrekken" in after.text and "Jongere gaf toestemming" in after.text
    withdrawn = client.post(
        f"/cases/{family.case.id}/toestemming",
        data={"audience": "school", "decision": "withdrawn", "bevestigd": "ja"},
    )
    assert withdrawn.status_code == 303
    assert "Jongere trok toestemming in" in client.get(withdrawn.headers["location"]).text


def test_consent_page_tells_a_parent_without_gezag_why_they_cannot_choose(
    client: TestClient, family: Family
) -> None:
    sign_in(client, family.user("vader"))
    page = client.get(f"/cases/{family.case.id}/toestemming")
    assert "Alleen ouders met gezag geven toestemming." in page.text
    refused = client.post(
        f"/cases/{family.case.id}/toestemming", data={"audience": "school", "decision": "given"}
    )
    assert refused.status_code == 403
    assert "Alleen ouders met gezag" in refused.text


def test_pass_over_form_keeps_the_reason_typed_when_it_is_too_short(
    client: TestClient, family: Family
) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    url = f"/cases/{family.case.id}/toestemming/overslaan"
    short = client.post(
        url,
        data={"audience": "school", "parent": family.places["moeder"].id, "reason": "geen tijd"},
    )
    assert short.status_code == 422
    assert "geen tijd" in short.text and "minstens 20 tekens" in short.text
    reason = "Moeder is opgenomen en kan nu niet beslissen."
    ok = client.post(
        url, data={"audience": "school", "parent": family.places["moeder"].id, "reason": reason}
    )
    assert ok.status_code == 303
    sign_in(client, family.user("jongere"))
    page = client.get(f"/cases/{family.case.id}/toestemming")
    assert "sloeg Moeder over" in page.text and reason in page.text
    # moeder passed over: the youth's consent completes it
    _decide(client, family, "given")
    data = client.get(f"/api/cases/{family.case.id}/consents").json()
    assert data["state"]["school"]["complete"] is True


def test_the_network_block_says_what_stops_for_the_network_not_a_school_link(
    client: TestClient, family: Family
) -> None:
    sign_in(client, family.user("jongere"))
    page = client.get(f"/cases/{family.case.id}/toestemming").text
    network = page.split('id="kop-netwerk"', 1)[1].split("</section>", 1)[0]
    assert "school" not in network.lower()
    assert "familie en netwerk, en een ouder zonder gezag, kunnen" in " ".join(network.split())
    school = page.split('id="kop-school"', 1)[1].split("</section>", 1)[0]
    assert "de link voor school werkt niet meer" in school
