"""Share links for school and for family and network: the aanspreekpunt chooses the parts, the
page shows only those parts, and each audience needs its own consent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from pycrdt import Doc, Text
from sqlalchemy import create_engine, text
from sqlmodel import Session, select

from app.migrate import alembic_config
from app.models import Document, DocumentUpdate, Share
from app.services import shares
from tests.conftest import Family, sign_in
from tests.web.test_shares import (
    ANALYSIS,
    HOME_ACTION,
    HOME_GOAL,
    HOME_PERSPECTIVE,
    MENTOR_ACTION,
    SAFETY,
    SCHOOL_ACTION,
    SCHOOL_GOAL,
    SCHOOL_PERSPECTIVE,
    write_documents,
)

STORY = "MARKER-VERHAAL-3c5e"


def consent_to(
    client: TestClient, family: Family, who: str, audience: str, decision: str = "given"
) -> None:
    sign_in(client, family.user(who))
    response = client.post(
        f"/api/cases/{family.case.id}/consents", json={"audience": audience, "decision": decision}
    )
    assert response.status_code == 201, response.text


def post_share(client: TestClient, family: Family, **body: Any) -> Any:
    sign_in(client, family.user("aanspreekpunt"))
    return client.post(
        f"/api/cases/{family.case.id}/shares",
        json={"label": "Oom Kees", "expires_in_days": 30, **body},
    )


def shared_page(client: TestClient, url: str) -> str:
    client.cookies.clear()
    page = client.get(url)
    assert page.status_code == 200, page.text
    return page.text


def write_story(db: Session, family: Family) -> None:
    story = db.exec(
        select(Document).where(
            Document.case_id == family.case.id,
            Document.owner_participant_id == family.places["jongere"].id,
        )
    ).one()
    doc = Doc()
    doc.get("mijn_verhaal", type=Text).insert(0, STORY)
    db.add(DocumentUpdate(document_id=story.id, update=doc.get_update()))
    db.commit()


@pytest.fixture
def school_consent(client: TestClient, family: Family) -> Family:
    consent_to(client, family, "jongere", "school")
    consent_to(client, family, "moeder", "school")
    return family


@pytest.fixture
def netwerk_consent(client: TestClient, family: Family) -> Family:
    consent_to(client, family, "jongere", "netwerk")
    consent_to(client, family, "moeder", "netwerk")
    return family


def test_a_school_link_with_only_the_school_part_of_the_perspective_shows_no_goal(
    client: TestClient, school_consent: Family, db: Session
) -> None:
    write_documents(db, school_consent)
    created = post_share(
        client, school_consent, audience="school", scope=["perspectief_school_werk"]
    )
    assert created.status_code == 201, created.text
    assert created.json()["scope"] == ["perspectief_school_werk"]
    text_ = shared_page(client, created.json()["url"])
    assert SCHOOL_PERSPECTIVE in text_
    for marker in (SCHOOL_GOAL, SCHOOL_ACTION, MENTOR_ACTION, HOME_GOAL, SAFETY, ANALYSIS):
        assert marker not in text_, marker


def test_a_school_link_without_a_scope_shows_all_school_parts_and_says_so(
    client: TestClient, school_consent: Family, db: Session
) -> None:
    write_documents(db, school_consent)
    created = post_share(client, school_consent, audience="school")
    assert created.status_code == 201, created.text
    assert created.json()["audience"] == "school"
    assert created.json()["scope"] == ["school_doelen", "school_acties", "perspectief_school_werk"]
    only_actions = post_share(client, school_consent, audience="school", scope=["school_acties"])
    text_ = shared_page(client, only_actions.json()["url"])
    assert MENTOR_ACTION in text_
    for marker in (SCHOOL_GOAL, SCHOOL_ACTION, SCHOOL_PERSPECTIVE, HOME_GOAL):
        assert marker not in text_, marker


def test_a_netwerk_link_needs_netwerk_consent_and_school_consent_is_not_enough(
    client: TestClient, school_consent: Family
) -> None:
    refused = post_share(client, school_consent, audience="netwerk")
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert "familie en netwerk" in detail
    assert "Jongere" in detail and "Moeder" in detail
    assert "Vader" not in detail  # no gezag: not asked
    consent_to(client, school_consent, "jongere", "netwerk")
    again = post_share(client, school_consent, audience="netwerk")
    assert again.status_code == 409
    assert "Moeder" in again.json()["detail"] and "Jongere" not in again.json()["detail"]
    consent_to(client, school_consent, "moeder", "netwerk")
    assert post_share(client, school_consent, audience="netwerk").status_code == 201


def test_the_netwerk_page_shows_plan_and_perspective_but_never_safety_analysis_or_stories(
    client: TestClient, netwerk_consent: Family, db: Session
) -> None:
    write_documents(db, netwerk_consent)
    write_story(db, netwerk_consent)
    created = post_share(client, netwerk_consent, audience="netwerk")
    assert created.status_code == 201, created.text
    assert created.json()["scope"] == ["plan", "perspectief"]
    text_ = shared_page(client, created.json()["url"])
    for marker in (SCHOOL_GOAL, HOME_GOAL, HOME_ACTION, SCHOOL_PERSPECTIVE, HOME_PERSPECTIVE):
        assert marker in text_, marker
    for marker in (SAFETY, ANALYSIS, STORY):
        assert marker not in text_, marker
    assert "met familie en netwerk wil delen" in text_
    assert "met school wil delen" not in text_


def test_the_netwerk_page_shows_the_analysis_only_when_it_was_chosen(
    client: TestClient, netwerk_consent: Family, db: Session
) -> None:
    write_documents(db, netwerk_consent)
    created = post_share(client, netwerk_consent, audience="netwerk", scope=["analyse"])
    assert created.status_code == 201, created.text
    text_ = shared_page(client, created.json()["url"])
    assert ANALYSIS in text_
    for marker in (SAFETY, HOME_GOAL, SCHOOL_GOAL, HOME_PERSPECTIVE):
        assert marker not in text_, marker


@pytest.mark.parametrize(
    ("audience", "scope"),
    [
        ("school", ["analyse"]),  # a part of the other audience
        ("school", ["veiligheid"]),
        ("netwerk", ["plan", "veiligheid"]),
        ("netwerk", ["verhaal"]),
        ("netwerk", ["school_doelen"]),
        ("netwerk", []),  # nothing chosen
    ],
)
def test_an_unknown_foreign_or_empty_scope_is_refused_with_a_field_error(
    client: TestClient, netwerk_consent: Family, audience: str, scope: list[str]
) -> None:
    consent_to(client, netwerk_consent, "jongere", "school")
    consent_to(client, netwerk_consent, "moeder", "school")
    refused = post_share(client, netwerk_consent, audience=audience, scope=scope)
    assert refused.status_code == 422, refused.text
    assert "scope" in refused.json()["fields"]


def test_an_unknown_audience_is_refused(client: TestClient, netwerk_consent: Family) -> None:
    refused = post_share(client, netwerk_consent, audience="buurt")
    assert refused.status_code == 422
    assert "audience" in refused.json()["fields"]


def test_withdrawn_netwerk_consent_stops_netwerk_links_but_not_school_links(
    client: TestClient, netwerk_consent: Family
) -> None:
    consent_to(client, netwerk_consent, "jongere", "school")
    consent_to(client, netwerk_consent, "moeder", "school")
    netwerk_link = post_share(client, netwerk_consent, audience="netwerk").json()["url"]
    school_link = post_share(client, netwerk_consent, audience="school").json()["url"]
    consent_to(client, netwerk_consent, "moeder", "netwerk", "withdrawn")
    assert client.get(netwerk_link).status_code == 410
    assert client.get(school_link).status_code == 200


def test_a_netwerk_link_on_a_legal_ground_works_without_consent(
    client: TestClient, family: Family
) -> None:
    created = post_share(
        client,
        family,
        audience="netwerk",
        ground="noodsituatie",
        motivation="Jongere is vermist; oom en tante moeten weten wat er is afgesproken.",
    )
    assert created.status_code == 201, created.text
    assert client.get(created.json()["url"]).status_code == 200


def test_shares_page_makes_a_netwerk_link_with_the_chosen_parts_and_lists_them(
    client: TestClient, netwerk_consent: Family, db: Session
) -> None:
    case_id = netwerk_consent.case.id
    sign_in(client, netwerk_consent.user("aanspreekpunt"))
    page = client.get(f"/cases/{case_id}/delen")
    assert page.status_code == 200
    assert "Delen met familie en netwerk kan nog niet" not in page.text  # netwerk is complete
    assert "Delen met school kan nog niet" in page.text  # school is not
    for part in ("school_doelen", "school_acties", "perspectief_school_werk", "plan"):
        assert f'value="{part}" checked' in page.text, part
    assert 'value="analyse" checked' not in page.text

    form = {
        "scope_form": "1",
        "audience": "netwerk",
        "label": "Oom Kees",
        "expires_in_days": "10",
        "ground": "toestemming",
        "scope_school": ["school_doelen"],
    }
    bad = client.post(f"/cases/{case_id}/delen", data=form)  # no netwerk part ticked
    assert bad.status_code == 422
    assert "Kies minstens één deel" in bad.text
    assert 'value="Oom Kees"' in bad.text and 'value="netwerk" checked' in bad.text
    assert 'value="school_doelen" checked' in bad.text
    assert 'value="school_acties" checked' not in bad.text  # what was ticked is kept

    made = client.post(
        f"/cases/{case_id}/delen", data={**form, "scope_netwerk": ["perspectief", "analyse"]}
    )
    assert made.status_code == 201, made.text
    share = db.exec(select(Share).where(Share.label == "Oom Kees")).one()
    assert share.audience == "netwerk" and share.scope == ["perspectief", "analyse"]
    listing = client.get(f"/cases/{case_id}/delen").text
    assert "Voor familie en netwerk" in listing
    assert "Toekomstperspectief: de Big Five; De gedeelde analyse" in listing


def test_a_link_stored_without_a_scope_shows_its_audience_s_default_parts(
    client: TestClient, school_consent: Family, db: Session
) -> None:
    write_documents(db, school_consent)
    created = post_share(client, school_consent, audience="school", scope=["school_acties"])
    share = db.get(Share, created.json()["share_id"])
    assert share is not None
    share.scope = []
    db.add(share)
    db.commit()
    assert shares.scope_of(share) == shares.default_scope("school")
    text_ = shared_page(client, created.json()["url"])
    for marker in (SCHOOL_GOAL, MENTOR_ACTION, SCHOOL_PERSPECTIVE):
        assert marker in text_, marker


def test_the_migration_gives_existing_school_links_every_school_part(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = alembic_config(url)
    command.upgrade(config, "0003")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO shares (id, case_id, audience, label, token_hash, ground, "
                "created_by_participant_id, created_at, expires_at) VALUES ('s1', 'c1', "
                "'school', 'Mentor', 'hash', 'toestemming', 1, '2026-01-01 00:00:00', "
                "'2026-02-01 00:00:00')"
            )
        )
    command.upgrade(config, "head")
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT scope FROM shares WHERE id = 's1'")).scalar_one()
    engine.dispose()
    assert stored is not None
    assert json.loads(stored) == shares.default_scope("school")
