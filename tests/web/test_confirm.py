"""Every destructive action asks first. Without JavaScript the first post answers with a
confirmation page and changes nothing; only the confirmed post acts. Someone who may not act
gets no confirmation page either."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Invitation, Participant, Share
from app.services import consent, shares
from app.services.access_bus import AccessBus
from tests.conftest import Family, sign_in
from tests.web.test_hostile_values import shown_and_safe


@dataclass
class Destructive:
    who: str
    path: str
    data: dict[str, str]
    question: str  # words the confirmation page must show
    happened: Callable[[TestClient, Family, Session], bool]


def _consented(db: Session, family: Family) -> None:
    for who in ("jongere", "moeder"):
        consent.decide(
            db,
            user=family.user(who),
            case_id=family.case.id,
            audience="school",
            decision="given",
            bus=AccessBus(),
        )


def _share(db: Session, family: Family) -> Share:
    _consented(db, family)
    created = shares.create_share(
        db,
        actor=family.user("aanspreekpunt"),
        case_id=family.case.id,
        audience="school",
        label="Mentor Bakker",
        expires_in_days=30,
        bus=AccessBus(),
    )
    return created.share


def _invitation(client: TestClient, family: Family, db: Session) -> Invitation:
    sign_in(client, family.user("aanspreekpunt"))
    client.post(
        f"/cases/{family.case.id}/uitnodigingen",
        data={"email": "nieuw@voorbeeld.nl", "role": "netwerk"},
    )
    client.post("/logout")
    return db.exec(select(Invitation)).one()


def _cases(client: TestClient, family: Family, db: Session) -> dict[str, Destructive]:
    case_id = family.case.id
    _consented(db, family)
    share = shares.create_share(
        db,
        actor=family.user("aanspreekpunt"),
        case_id=case_id,
        audience="school",
        label="Mentor Bakker",
        expires_in_days=30,
        bus=AccessBus(),
    ).share
    invitation = _invitation(client, family, db)
    oma = family.places["oma"].id

    def withdrawn(c: TestClient, f: Family, d: Session) -> bool:
        return not consent.consent_state(d, f.case.id, "school").complete

    def stopped(c: TestClient, f: Family, d: Session) -> bool:
        d.expire_all()
        return d.get(Share, share.id).revoked_at is not None  # type: ignore[union-attr]

    def revoked(c: TestClient, f: Family, d: Session) -> bool:
        d.expire_all()
        return d.get(Invitation, invitation.id).revoked_at is not None  # type: ignore[union-attr]

    def removed(c: TestClient, f: Family, d: Session) -> bool:
        d.expire_all()
        return d.get(Participant, oma).active_to is not None  # type: ignore[union-attr]

    return {
        "toestemming": Destructive(
            "jongere",
            f"/cases/{case_id}/toestemming",
            {"audience": "school", "decision": "withdrawn"},
            "Toestemming intrekken?",
            withdrawn,
        ),
        "link": Destructive(
            "aanspreekpunt",
            f"/cases/{case_id}/delen/{share.id}/intrekken",
            {},
            "Mentor Bakker",
            stopped,
        ),
        "uitnodiging": Destructive(
            "aanspreekpunt",
            f"/cases/{case_id}/uitnodigingen/{invitation.id}/intrekken",
            {},
            "nieuw@voorbeeld.nl",
            revoked,
        ),
        "deelnemer": Destructive(
            "aanspreekpunt",
            f"/cases/{case_id}/deelnemers/{oma}/verwijderen",
            {},
            f"{family.user('oma').name} verwijderen?",
            removed,
        ),
    }


@pytest.mark.parametrize("action", ["toestemming", "link", "uitnodiging", "deelnemer"])
def test_a_destructive_post_first_asks_on_a_page_and_acts_only_when_confirmed(
    client: TestClient, family: Family, db: Session, action: str
) -> None:
    case = _cases(client, family, db)[action]
    sign_in(client, family.user(case.who))
    asked = client.post(case.path, data=case.data)
    assert asked.status_code == 200
    assert case.question in asked.text
    assert "Nee, ga terug" in asked.text
    assert not case.happened(client, family, db)
    shown_and_safe(asked.text, f"confirm {action}")
    # the page's own form posts everything again, confirmed
    card = asked.text.split('class="card confirm"', 1)[1]
    form = re.search(r'<form method="post" action="([^"]+)"(.*?)</form>', card, re.S)
    assert form is not None
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(2)))
    assert fields["bevestigd"] == "ja"
    done = client.post(form.group(1), data=fields)
    assert done.status_code == 303
    assert case.happened(client, family, db)


@pytest.mark.parametrize("action", ["link", "uitnodiging", "deelnemer"])
def test_who_may_not_act_gets_no_confirmation_page(
    client: TestClient, family: Family, db: Session, action: str
) -> None:
    case = _cases(client, family, db)[action]
    sign_in(client, family.user("moeder"))
    assert client.post(case.path, data=case.data).status_code == 403
    client.post("/logout")
    sign_in(client, family.user("vreemde"))
    assert client.post(case.path, data=case.data).status_code == 404
    assert not case.happened(client, family, db)


def test_restoring_a_version_asks_first(client: TestClient, family: Family, db: Session) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    client.post(f"/api/cases/{family.case.id}/versions", json={"title": "Zorgoverleg maart"})
    asked = client.post(f"/cases/{family.case.id}/versies/1/herstellen")
    assert asked.status_code == 200
    assert "Versie 1 terugzetten?" in asked.text and "Zorgoverleg maart" in asked.text
    assert "automatisch bewaard" in asked.text


def test_logging_out_everywhere_asks_first(client: TestClient, family: Family) -> None:
    sign_in(client, family.user("jongere"))
    asked = client.post("/account/sessies/overal-uitloggen")
    assert asked.status_code == 200 and "Overal uitloggen?" in asked.text


def test_destructive_forms_carry_the_question_for_the_script(
    client: TestClient, family: Family, db: Session
) -> None:
    share = _share(db, family)
    sign_in(client, family.user("aanspreekpunt"))
    page = client.get(f"/cases/{family.case.id}/delen").text
    assert f'action="/cases/{family.case.id}/delen/{share.id}/intrekken"' in page
    assert "data-confirm=" in page and "hx-confirm" not in page
