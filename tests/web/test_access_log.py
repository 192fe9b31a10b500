"""'Wie heeft ons plan bekeken?' for the family, a filterable log for the aanspreekpunt, and
cross-site refusal of every new state change."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app.services import audit
from tests.conftest import ORIGIN, Family, sign_in


def _view(db: Session, family: Family, who: str) -> None:
    audit.record(db, case_id=family.case.id, user=family.user(who), action=audit.Action.case_viewed)


def test_family_reads_who_viewed_the_plan_in_plain_language(
    client: TestClient, family: Family, db: Session
) -> None:
    _view(db, family, "specialist")
    _view(db, family, "specialist")
    _view(db, family, "oma")
    sign_in(client, family.user("jongere"))
    page = client.get(f"/cases/{family.case.id}/logboek")
    assert page.status_code == 200
    assert "Wie heeft ons plan bekeken?" in page.text
    assert "Specialist</strong> (specialist) heeft het plan bekeken (2 keer)" in page.text
    assert "Oma</strong>" in page.text


@pytest.mark.parametrize("who", ["specialist", "oma"])
def test_log_page_is_for_the_family_and_the_aanspreekpunt(
    client: TestClient, family: Family, who: str
) -> None:
    sign_in(client, family.user(who))
    assert client.get(f"/cases/{family.case.id}/logboek").status_code == 403


def test_aanspreekpunt_filters_the_log_and_sees_that_the_chain_is_whole(
    client: TestClient, family: Family, db: Session
) -> None:
    _view(db, family, "specialist")
    _view(db, family, "moeder")
    sign_in(client, family.user("aanspreekpunt"))
    whole = client.get(f"/cases/{family.case.id}/logboek")
    assert "compleet en niet veranderd" in whole.text
    only_mother = client.get(f"/cases/{family.case.id}/logboek", params={"wie": "Moeder"})
    assert "<td>Moeder<br>" in only_mother.text and "<td>Specialist<br>" not in only_mother.text
    db.execute(
        text("UPDATE audit_entries SET detail = 'x' WHERE case_id = :c AND seq = 1"),
        {"c": family.case.id},
    )
    db.commit()
    broken = client.get(f"/cases/{family.case.id}/logboek")
    assert "Een regel in het logboek is veranderd." in broken.text


def _new_state_changes(family: Family) -> list[tuple[str, str, dict[str, object] | None]]:
    case_id = family.case.id
    return [
        ("POST", f"/api/cases/{case_id}/consents", {"audience": "school", "decision": "given"}),
        (
            "POST",
            f"/api/cases/{case_id}/shares",
            {
                "audience": "school",
                "label": "X",
                "expires_in_days": 3,
                "ground": "noodsituatie",
                "motivation": "Een motivatie die lang genoeg is om te delen.",
            },
        ),
        ("DELETE", "/api/shares/onbekend", None),
        ("POST", f"/cases/{case_id}/toestemming", None),
        ("POST", f"/cases/{case_id}/toestemming/overslaan", None),
        ("POST", f"/cases/{case_id}/delen", None),
        ("POST", f"/cases/{case_id}/delen/onbekend/intrekken", None),
    ]


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Origin": ORIGIN, "Sec-Fetch-Site": "cross-site"}, {}],
    ids=["other-origin", "cross-site-fetch", "no-origin"],
)
def test_cross_site_consent_and_share_changes_are_refused(
    client: TestClient, family: Family, db: Session, headers: dict[str, str]
) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    client.headers.pop("Origin")
    for method, path, body in _new_state_changes(family):
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == 403, (method, path)
        assert "niet van een pagina van eenplan" in response.text, (method, path)
    client.headers["Origin"] = ORIGIN
    assert audit.entries(db, case_id=family.case.id) == []


def test_opening_the_case_overview_is_logged(
    client: TestClient, family: Family, db: Session
) -> None:
    sign_in(client, family.user("specialist"))
    assert client.get(f"/cases/{family.case.id}").status_code == 200
    logged = [(e.action, e.actor_name) for e in audit.entries(db, case_id=family.case.id)]
    assert logged == [("case_viewed", "Specialist")]
