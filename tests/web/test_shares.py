"""Share links for school: only with consent, only the school scope, dead once consent ends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pycrdt import Array, Doc, Map, Text
from sqlmodel import Session, select

from app.models import AuditEntry, Document, DocumentUpdate, Share, utcnow
from app.services import audit
from tests.conftest import Family, sign_in

SCHOOL_ACTION = "MARKER-SCHOOLACTIE-7f3a"
SCHOOL_GOAL = "MARKER-SCHOOLDOEL-19be"
HOME_GOAL = "MARKER-THUISDOEL-c2d4"
HOME_ACTION = "MARKER-THUISACTIE-88aa"
MENTOR_ACTION = "MARKER-MENTORACTIE-5e21"
SCHOOL_PERSPECTIVE = "MARKER-SCHOOLWERK-0b9c"
HOME_PERSPECTIVE = "MARKER-WELZIJN-6d17"
SAFETY = "MARKER-VEILIGHEID-4411"
ANALYSIS = "MARKER-ANALYSE-93f0"


def _store(db: Session, family: Family, section: str, doc: Doc) -> None:
    document = db.exec(
        select(Document).where(Document.case_id == family.case.id, Document.section == section)
    ).one()
    db.add(DocumentUpdate(document_id=document.id, update=doc.get_update()))
    db.commit()


def write_documents(db: Session, family: Family) -> None:
    """A plan, perspective, safety and analysis with a unique marker in every part."""
    plan = Doc()
    goals = plan.get("doelen", type=Array)
    goals.append(
        Map(
            {
                "id": "g1",
                "doel": Text(SCHOOL_GOAL),
                "domein": "school_werk",
                "status": "actief",
                "acties": Array(
                    [
                        Map(
                            {
                                "id": "a1",
                                "wat": Text(SCHOOL_ACTION),
                                "wie": str(family.places["jongere"].id),
                                "wanneer": Text("elke week"),
                                "status": "bezig",
                            }
                        )
                    ]
                ),
            }
        )
    )
    goals.append(
        Map(
            {
                "id": "g2",
                "doel": Text(HOME_GOAL),
                "domein": "welzijn",
                "status": "actief",
                "acties": Array(
                    [
                        Map(
                            {
                                "id": "a2",
                                "wat": Text(HOME_ACTION),
                                "wie": "anders",
                                "wie_naam": Text("Oom Kees"),
                            }
                        ),
                        Map(
                            {
                                "id": "a3",
                                "wat": Text(MENTOR_ACTION),
                                "wie": "anders",
                                "wie_naam": Text("Mentor De Boer"),
                            }
                        ),
                    ]
                ),
            }
        )
    )
    _store(db, family, "plan", plan)

    perspective = Doc()
    perspective.get("domein.school_werk.huidige_situatie", type=Text).insert(0, SCHOOL_PERSPECTIVE)
    perspective.get("domein.school_werk", type=Map)["schaal_jongere"] = 6.0
    perspective.get("domein.welzijn.huidige_situatie", type=Text).insert(0, HOME_PERSPECTIVE)
    _store(db, family, "perspectief", perspective)

    safety = Doc()
    safety.get("zorgen", type=Array).append(Map({"id": "z1", "tekst": Text(SAFETY)}))
    _store(db, family, "veiligheid", safety)

    analysis = Doc()
    analysis.get("krachten", type=Text).insert(0, ANALYSIS)
    analysis.get("zorgen", type=Array).append(Map({"id": "z1", "tekst": Text(ANALYSIS)}))
    _store(db, family, "analyse", analysis)


def consent_to(client: TestClient, family: Family, who: str, decision: str = "given") -> None:
    sign_in(client, family.user(who))
    response = client.post(
        f"/api/cases/{family.case.id}/consents", json={"audience": "school", "decision": decision}
    )
    assert response.status_code == 201, response.text


def make_share(client: TestClient, family: Family, days: int = 30) -> dict[str, str]:
    sign_in(client, family.user("aanspreekpunt"))
    response = client.post(
        f"/api/cases/{family.case.id}/shares",
        json={"audience": "school", "label": "Mentor Noorderpoort", "expires_in_days": days},
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def consented(client: TestClient, family: Family) -> Family:
    consent_to(client, family, "jongere")
    consent_to(client, family, "moeder")
    return family


def test_share_without_consent_is_refused_naming_who_still_has_to_consent(
    client: TestClient, family: Family
) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    response = client.post(
        f"/api/cases/{family.case.id}/shares",
        json={"audience": "school", "label": "Mentor", "expires_in_days": 30},
    )
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "Jongere" in detail and "Moeder" in detail
    assert "Vader" not in detail  # no gezag: not asked
    consent_to(client, family, "jongere")
    sign_in(client, family.user("aanspreekpunt"))
    again = client.post(
        f"/api/cases/{family.case.id}/shares",
        json={"audience": "school", "label": "Mentor", "expires_in_days": 30},
    )
    assert again.status_code == 409
    assert "Moeder" in again.json()["detail"] and "Jongere" not in again.json()["detail"]


def test_only_the_aanspreekpunt_makes_share_links(client: TestClient, consented: Family) -> None:
    for who in ("jongere", "moeder", "specialist"):
        sign_in(client, consented.user(who))
        response = client.post(
            f"/api/cases/{consented.case.id}/shares",
            json={"audience": "school", "label": "Mentor", "expires_in_days": 30},
        )
        assert response.status_code == 403, who
    sign_in(client, consented.user("vreemde"))
    response = client.post(
        f"/api/cases/{consented.case.id}/shares",
        json={"audience": "school", "label": "Mentor", "expires_in_days": 30},
    )
    assert response.status_code == 404


def test_share_link_token_is_long_and_stored_only_as_a_hash(
    client: TestClient, consented: Family, db: Session
) -> None:
    created = make_share(client, consented)
    token = created["url"].rsplit("/", 1)[1]
    assert len(token) >= 22  # at least 128 bits of urlsafe base64
    share = db.get(Share, created["share_id"])
    assert share is not None and token not in share.token_hash
    assert created["url"].startswith("http://testserver/gedeeld/")


def test_share_page_shows_the_school_scope_and_never_safety_or_analysis(
    client: TestClient, consented: Family, db: Session
) -> None:
    write_documents(db, consented)
    created = make_share(client, consented)
    client.cookies.clear()
    page = client.get(created["url"])
    assert page.status_code == 200
    for marker in (SCHOOL_ACTION, SCHOOL_GOAL, MENTOR_ACTION, SCHOOL_PERSPECTIVE):
        assert marker in page.text, marker
    for marker in (SAFETY, ANALYSIS, HOME_GOAL, HOME_ACTION, HOME_PERSPECTIVE):
        assert marker not in page.text, marker
    assert "Jongere" in page.text  # who does the school action
    assert page.headers["cache-control"] == "no-store"


def test_withdrawn_consent_stops_the_link_at_once_and_tells_live_connections(
    client: TestClient, consented: Family
) -> None:
    created = make_share(client, consented)
    assert client.get(created["url"]).status_code == 200
    published: list[str] = []
    client.app.state.access_bus.subscribe(published.append)  # type: ignore[attr-defined]
    consent_to(client, consented, "moeder", "withdrawn")
    assert consented.case.id in published
    gone = client.get(created["url"])
    assert gone.status_code == 410
    assert "werkt niet meer" in gone.text


def test_consent_given_again_never_brings_an_old_link_back(
    client: TestClient, consented: Family
) -> None:
    old = make_share(client, consented)
    assert client.get(old["url"]).status_code == 200
    consent_to(client, consented, "moeder", "withdrawn")
    consent_to(client, consented, "moeder", "given")
    client.cookies.clear()
    assert client.get(old["url"]).status_code == 410
    sign_in(client, consented.user("aanspreekpunt"))
    page = client.get(f"/cases/{consented.case.id}/delen")
    assert "Werkt niet: De toestemming stopte tussendoor. Maak een nieuwe link." in page.text
    new = make_share(client, consented)
    client.cookies.clear()
    assert client.get(new["url"]).status_code == 200
    assert client.get(old["url"]).status_code == 410


def test_a_link_stopped_by_a_birthday_stays_stopped_after_consent_is_asked_again(
    client: TestClient, consented: Family, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.models import today
    from app.services import consent, shares

    old = make_share(client, consented)
    birthday = today() + timedelta(days=2 * 365 + 1)  # the youth (14 now) turns 16
    monkeypatch.setattr(consent, "today", lambda: birthday)
    monkeypatch.setattr(shares, "today", lambda: birthday)
    assert client.get(old["url"]).status_code == 410
    consent_to(client, consented, "jongere", "given")  # at 16 the youth alone decides
    client.cookies.clear()
    assert client.get(old["url"]).status_code == 410
    assert client.get(make_share(client, consented)["url"]).status_code == 200


def test_renewing_consent_without_a_break_keeps_the_link_working(
    client: TestClient, consented: Family
) -> None:
    link = make_share(client, consented)
    consent_to(client, consented, "moeder", "given")  # a new version, no gap
    client.cookies.clear()
    assert client.get(link["url"]).status_code == 200


def test_an_expired_link_answers_410(client: TestClient, consented: Family, db: Session) -> None:
    created = make_share(client, consented, days=1)
    assert client.get(created["url"]).status_code == 200
    share = db.get(Share, created["share_id"])
    assert share is not None
    share.expires_at = utcnow() - timedelta(seconds=1)
    db.add(share)
    db.commit()
    assert client.get(created["url"]).status_code == 410


def test_a_revoked_link_answers_410(client: TestClient, consented: Family) -> None:
    created = make_share(client, consented)
    assert client.get(created["url"]).status_code == 200
    sign_in(client, consented.user("moeder"))
    assert client.delete(f"/api/shares/{created['share_id']}").status_code == 403
    sign_in(client, consented.user("aanspreekpunt"))
    assert client.delete(f"/api/shares/{created['share_id']}").status_code == 204
    assert client.get(created["url"]).status_code == 410


def test_an_unknown_link_answers_404(client: TestClient) -> None:
    assert client.get("/gedeeld/bestaat-niet").status_code == 404


def test_the_link_stops_on_the_12th_birthday_and_the_shares_page_says_whom_to_ask(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.models import Role, today
    from app.services import cases, consent, participants, shares
    from tests.conftest import make_user

    tomorrow = today() + timedelta(days=1)
    wij = make_user(db, "Wendy WIJ", professional=True)
    birth = tomorrow.replace(year=tomorrow.year - 12)
    case = cases.create_case(db, actor=wij, label="Gezin Jarig", youth_birth_date=birth.isoformat())
    moeder = make_user(db, "Moeder Jarig")
    jongere = make_user(db, "Jarige Jet")
    participants.add_participant(db, case=case, user=moeder, role=Role.ouder, gezag=True)
    participants.add_participant(db, case=case, user=jongere, role=Role.jongere)
    db.commit()
    sign_in(client, moeder)
    assert (
        client.post(
            f"/api/cases/{case.id}/consents", json={"audience": "school", "decision": "given"}
        ).status_code
        == 201
    )
    sign_in(client, wij)
    created = client.post(
        f"/api/cases/{case.id}/shares",
        json={"audience": "school", "label": "Juf Anna", "expires_in_days": 30},
    ).json()
    assert client.get(created["url"]).status_code == 200

    monkeypatch.setattr(consent, "today", lambda: tomorrow)
    monkeypatch.setattr(shares, "today", lambda: tomorrow)
    assert client.get(created["url"]).status_code == 410
    page = client.get(f"/cases/{case.id}/delen")
    assert page.status_code == 200
    assert "Opnieuw vragen" in page.text
    assert "Moeder Jarig" in page.text and "Jarige Jet" in page.text


def test_every_share_event_is_logged(client: TestClient, consented: Family, db: Session) -> None:
    created = make_share(client, consented)
    client.get(created["url"])
    client.get(created["url"])
    client.delete(f"/api/shares/{created['share_id']}")
    logged = sorted(audit.entries(db, case_id=consented.case.id), key=lambda e: e.seq)
    actions = [e.action for e in logged]
    assert actions == [
        "consent_given",
        "consent_given",
        "share_created",
        "share_viewed",
        "share_viewed",
        "share_revoked",
    ]
    viewed = db.exec(select(AuditEntry).where(AuditEntry.action == "share_viewed")).first()
    assert viewed is not None
    assert viewed.actor_name == "Mentor Noorderpoort" and viewed.actor_role == "school"
    assert audit.verify_chain(db, case_id=consented.case.id).ok


def test_sharing_without_consent_needs_a_legal_ground_and_a_motivation_and_is_shown(
    client: TestClient, family: Family, db: Session
) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    url = f"/api/cases/{family.case.id}/shares"
    body = {
        "audience": "school",
        "label": "Zorgcoördinator",
        "expires_in_days": 7,
        "ground": "noodsituatie",
    }
    refused = client.post(url, json={**body, "motivation": "kort"})
    assert refused.status_code == 422
    assert "motivation" in refused.json()["fields"]
    too_long = client.post(url, json={**body, "motivation": "Vermist. " * 1000})
    assert too_long.status_code == 422 and "hoogstens" in too_long.json()["fields"]["motivation"]
    motivation = "Jongere is sinds vrijdag vermist; school moet weten wat er is afgesproken."
    created = client.post(url, json={**body, "motivation": motivation})
    assert created.status_code == 201, created.text
    assert client.get(created.json()["url"]).status_code == 200
    logged = [
        e for e in audit.entries(db, case_id=family.case.id) if e.action == "access_without_consent"
    ]
    assert len(logged) == 1 and logged[0].ground == "noodsituatie"
    sign_in(client, family.user("jongere"))
    consent_page = client.get(f"/cases/{family.case.id}/toestemming")
    assert "zonder toestemming" in consent_page.text and motivation in consent_page.text
    log_page = client.get(f"/cases/{family.case.id}/logboek")
    assert "heeft gedeeld zonder toestemming" in log_page.text
    history = client.get(f"/api/cases/{family.case.id}/consents").json()["history"]
    assert history[0]["ground"] == "noodsituatie" and history[0]["motivation"] == motivation
    # revoking the link ends the legal ground too
    sign_in(client, family.user("aanspreekpunt"))
    client.delete(f"/api/shares/{created.json()['share_id']}")
    assert client.get(created.json()["url"]).status_code == 410


def test_shares_page_creates_lists_and_revokes_links(
    client: TestClient, consented: Family, db: Session
) -> None:
    sign_in(client, consented.user("aanspreekpunt"))
    page = client.get(f"/cases/{consented.case.id}/delen")
    assert page.status_code == 200 and "Nieuwe link maken" in page.text
    bad = client.post(
        f"/cases/{consented.case.id}/delen", data={"label": "", "expires_in_days": "900"}
    )
    assert bad.status_code == 422
    assert "Schrijf voor wie de link is" in bad.text and 'value="900"' in bad.text
    made = client.post(
        f"/cases/{consented.case.id}/delen",
        data={"label": "Mentor Bakker", "expires_in_days": "14", "ground": "toestemming"},
    )
    assert made.status_code == 201
    assert "/gedeeld/" in made.text and "Mentor Bakker" in made.text
    listing = client.get(f"/cases/{consented.case.id}/delen")
    assert "Mentor Bakker" in listing.text and ">Werkt<" in listing.text
    share = db.exec(select(Share).where(Share.label == "Mentor Bakker")).one()
    revoked = client.post(
        f"/cases/{consented.case.id}/delen/{share.id}/intrekken", data={"bevestigd": "ja"}
    )
    assert revoked.status_code == 303
    assert "Werkt niet: Stopgezet" in client.get(f"/cases/{consented.case.id}/delen").text


def test_shares_page_is_only_for_the_aanspreekpunt(client: TestClient, consented: Family) -> None:
    sign_in(client, consented.user("moeder"))
    assert client.get(f"/cases/{consented.case.id}/delen").status_code == 403
    sign_in(client, consented.user("vreemde"))
    assert client.get(f"/cases/{consented.case.id}/delen").status_code == 404
