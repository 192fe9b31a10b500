"""Every kind of mail reaches a real SMTP server the test starts itself, and its link works
for the person it was sent to. No mail holds content of the plan.

The app runs with ``EENPLAN_SMTP_URL`` pointing at the test's server, so its own delivery loop
sends what the outbox holds. The daily work is run by a scheduler of the test, for noon
tomorrow (Dutch time), so the app's own first tick of today cannot have done that day already.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from pycrdt import Text
from sqlmodel import Session

from app.dutch import DUTCH_TIME
from app.main import create_app
from app.models import today
from app.scheduler import Scheduler
from app.services import consent, notifications, shares
from app.services.access_bus import AccessBus
from app.services.mail_texts import MailKind
from app.settings import Settings
from tests.conftest import ORIGIN, Family, sign_in
from tests.docs_helpers import document_id, edit
from tests.smtp_sink import Received, Sink, smtp_sink

AKKOORD = "Een nieuwe versie wacht op jouw akkoord"
EVALUATION = "De evaluatie van een plan komt eraan"
ROUND = "Geef je cijfers voor het zorgoverleg"
SIGN_IN_CHANGED = "Je inloggegevens van eenplan zijn gewijzigd"
SECRET_TEXT = "Geheime zin uit het plan"
SECRET_TITLE = "Zorgoverleg over de geheime zaak"


@pytest.fixture
def sink() -> Iterator[Sink]:
    with smtp_sink() as server:
        yield server


@pytest.fixture
def mail_settings(settings: Settings, sink: Sink) -> Settings:
    return settings.model_copy(update={"smtp_url": sink.url})


@pytest.fixture
def client(mail_settings: Settings) -> Iterator[TestClient]:
    app = create_app(mail_settings)
    with TestClient(app, headers={"Origin": ORIGIN}, follow_redirects=False) as test_client:
        yield test_client


def tomorrow_noon() -> datetime:
    return datetime.combine(date.today() + timedelta(days=1), time(12), tzinfo=DUTCH_TIME)


def run_daily_work(client: TestClient, settings: Settings) -> None:
    scheduler = Scheduler(client.app.state.engine, settings, AccessBus(), send=None)  # type: ignore[attr-defined]
    scheduler.run_due_jobs(now=tomorrow_noon())


def path_of(mail: Received, start: str = "") -> str:
    """The link in the mail that points into eenplan (and starts with ``start``), as a path."""
    found = [
        link.removeprefix(ORIGIN)
        for link in mail.links()
        if link.startswith(ORIGIN + start) and "/account/meldingen" not in link
    ]
    assert found, mail.text
    return found[0]


def assert_no_plan_content(mail: Received) -> None:
    for secret in (SECRET_TEXT, SECRET_TITLE):
        assert secret not in mail.text and secret not in mail.subject


def _write_in_the_plan(db: Session, family: Family) -> None:
    doc_id = document_id(db, family.case.id, "analyse")
    edit(
        db,
        doc_id,
        lambda doc: doc.get("krachten", type=Text).insert(0, SECRET_TEXT),
        family.user("aanspreekpunt").id,
    )


def _adopt(client: TestClient, family: Family, **extra: str) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    response = client.post(
        f"/api/cases/{family.case.id}/versions",
        json={"title": SECRET_TITLE, "decisions": SECRET_TEXT, **extra},
    )
    assert response.status_code == 201, response.text
    client.post("/logout")


def test_an_invitation_arrives_by_mail_and_its_link_lets_the_person_join(
    client: TestClient, family: Family, sink: Sink
) -> None:
    sign_in(client, family.user("aanspreekpunt"))
    answer = client.post(
        f"/cases/{family.case.id}/uitnodigingen",
        data={"email": "opa@voorbeeld.nl", "role": "netwerk"},
    )
    assert answer.status_code == 201
    assert "We sturen de uitnodiging ook per mail" in answer.text
    client.post("/logout")
    mail = sink.wait_for("opa@voorbeeld.nl")[0]
    assert mail.subject == f"Uitnodiging voor het plan van {family.case.label}"
    path = path_of(mail, "/uitnodiging/")
    assert client.get(path).status_code == 200
    joined = client.post(
        path,
        data={"name": "Opa", "password": "lange-zin-als-wachtwoord",
              "password_again": "lange-zin-als-wachtwoord"},
    )  # fmt: skip
    assert joined.status_code == 303


def test_a_new_version_mails_everyone_else_that_it_waits_for_their_akkoord(
    client: TestClient, family: Family, sink: Sink, db: Session
) -> None:
    _write_in_the_plan(db, family)
    _adopt(client, family)
    mail = sink.wait_for(family.user("moeder").email, AKKOORD)[0]
    assert family.case.label in mail.text
    assert_no_plan_content(mail)
    path = path_of(mail, f"/cases/{family.case.id}/versies/1")
    sign_in(client, family.user("moeder"))
    page = client.get(path)
    assert page.status_code == 200 and "akkoord" in page.text.lower()
    # everyone else is asked; the one who adopted it is not
    sink.wait_for(family.user("specialist").email, AKKOORD)
    assert sink.mails_to(family.user("aanspreekpunt").email, AKKOORD) == []


def test_an_evaluation_round_mails_everyone_who_is_asked_and_its_link_opens_their_form(
    client: TestClient, family: Family, sink: Sink, db: Session
) -> None:
    _write_in_the_plan(db, family)
    sign_in(client, family.user("aanspreekpunt"))
    meeting = (today() + timedelta(days=12)).isoformat()
    opened = client.post(
        f"/cases/{family.case.id}/evaluatie/starten", data={"meeting_date": meeting}
    )
    assert opened.status_code == 303
    client.post("/logout")
    mail = sink.wait_for(family.user("jongere").email, ROUND)[0]
    assert family.case.label in mail.text and "0 tot 10" in mail.text
    assert_no_plan_content(mail)
    sign_in(client, family.user("jongere"))
    form = client.get(path_of(mail, f"/cases/{family.case.id}/evaluatie"))
    assert form.status_code == 200 and 'name="domein.welzijn"' in form.text
    sink.wait_for(family.user("specialist").email, ROUND)
    # the one who opened it, and the network (who cannot read the plan), are not asked
    assert sink.mails_to(family.user("aanspreekpunt").email, ROUND) == []
    assert sink.mails_to(family.user("oma").email, ROUND) == []


def test_an_evaluation_in_seven_days_is_mailed_to_the_professionals_only(
    client: TestClient, family: Family, sink: Sink, mail_settings: Settings, db: Session
) -> None:
    evaluation = date.today() + timedelta(days=8)  # 7 days after tomorrow
    _adopt(client, family, next_evaluation_date=evaluation.isoformat())
    run_daily_work(client, mail_settings)
    for who in ("aanspreekpunt", "specialist"):
        mails = sink.wait_for(family.user(who).email, EVALUATION)
        assert len(mails) == 1, who
        assert "over 7 dagen" in mails[0].text
        assert_no_plan_content(mails[0])
    sign_in(client, family.user("specialist"))
    assert client.get(path_of(mails[0], f"/cases/{family.case.id}/versies/")).status_code == 200
    sink.wait_for(family.user("moeder").email, AKKOORD)  # the akkoord mail came, and no other
    assert sink.mails_to(family.user("moeder").email, EVALUATION) == []
    run_daily_work(client, mail_settings)  # the same day again: nothing new
    client.portal.call(lambda: None)  # type: ignore[union-attr]
    assert (
        len([m for m in sink.mails_to(family.user("specialist").email) if "evaluatie" in m.subject])
        == 1
    )


def test_a_birthday_that_changes_who_decides_mails_the_youth_to_consent_again(
    client: TestClient, family: Family, sink: Sink, db: Session, mail_settings: Settings
) -> None:
    turning_16 = date.today() + timedelta(days=1)
    family.case.youth_birth_date = turning_16.replace(year=turning_16.year - 16)
    db.add(family.case)
    db.commit()
    for who in ("jongere", "moeder"):
        consent.decide(
            db, user=family.user(who), case_id=family.case.id, audience="school",
            decision="given", bus=AccessBus(),
        )  # fmt: skip
    run_daily_work(client, mail_settings)
    mail = sink.wait_for(family.user("jongere").email, "Toestemming moet opnieuw")[0]
    assert "Je bent jarig geweest." in mail.text  # her own birthday, said to her
    assert "De jongere van" not in mail.text
    path = path_of(mail, f"/cases/{family.case.id}/toestemming")
    sign_in(client, family.user("jongere"))
    assert client.get(path).status_code == 200
    # from 16 the mother no longer decides: she is not asked
    assert not any("Toestemming" in m.subject for m in sink.mails_to(family.user("moeder").email))


def test_a_link_that_stops_within_a_week_is_mailed_to_the_aanspreekpunt(
    client: TestClient, family: Family, sink: Sink, db: Session, mail_settings: Settings
) -> None:
    for who in ("jongere", "moeder"):
        consent.decide(
            db, user=family.user(who), case_id=family.case.id, audience="school",
            decision="given", bus=AccessBus(),
        )  # fmt: skip
    shares.create_share(
        db, actor=family.user("aanspreekpunt"), case_id=family.case.id, audience="school",
        label="Mentor", expires_in_days=3, bus=AccessBus(),
    )  # fmt: skip
    run_daily_work(client, mail_settings)
    mails = sink.wait_for(family.user("aanspreekpunt").email, "Een gedeelde link stopt binnenkort")
    assert len(mails) == 1
    sign_in(client, family.user("aanspreekpunt"))
    assert client.get(path_of(mails[0], f"/cases/{family.case.id}/delen")).status_code == 200


def test_a_changed_password_and_two_factor_sign_in_are_always_mailed(
    client: TestClient, family: Family, sink: Sink, db: Session
) -> None:
    moeder = family.user("moeder")
    notifications.set_preferences(
        db, user=moeder, choices={str(kind): "nooit" for kind in notifications.CHOOSABLE}
    )
    sign_in(client, moeder)
    changed = client.post(
        "/account/wachtwoord",
        data={"current_password": "een-goed-wachtwoord", "new_password": "een-ander-wachtwoord",
              "new_password_again": "een-ander-wachtwoord"},
    )  # fmt: skip
    assert changed.status_code == 200
    mail = sink.wait_for(moeder.email, SIGN_IN_CHANGED)[0]
    assert "Je wachtwoord is gewijzigd." in mail.text
    assert client.get(path_of(mail, "/wachtwoord-vergeten")).status_code == 200
    # a professional's first sign-in turns two-factor sign-in on: that is mailed too
    sign_in(client, family.user("specialist"))
    two_factor = sink.wait_for(family.user("specialist").email, SIGN_IN_CHANGED)[0]
    assert "Inloggen in twee stappen staat nu aan." in two_factor.text


def test_who_chose_once_a_day_gets_one_digest_and_who_chose_never_gets_nothing(
    client: TestClient, family: Family, sink: Sink, db: Session, mail_settings: Settings
) -> None:
    choose = {str(kind): "direct" for kind in notifications.CHOOSABLE}
    sign_in(client, family.user("moeder"))
    saved = client.post("/account/meldingen", data={**choose, MailKind.akkoord: "dagelijks"})
    assert saved.status_code == 303
    assert "Je keuzes zijn opgeslagen." in client.get(saved.headers["location"]).text
    sign_in(client, family.user("jongere"))
    client.post("/account/meldingen", data={**choose, MailKind.akkoord: "nooit"})
    _adopt(client, family)
    sink.wait_for(family.user("specialist").email, AKKOORD)  # at once (default): delivery ran
    assert sink.mails_to(family.user("moeder").email) == []
    run_daily_work(client, mail_settings)
    digest = sink.wait_for(family.user("moeder").email)[0]
    assert digest.subject == "Je overzicht van vandaag: 1 ding in eenplan"
    assert family.case.label in digest.text
    assert_no_plan_content(digest)
    sign_in(client, family.user("moeder"))
    assert client.get(path_of(digest, f"/cases/{family.case.id}/versies/1")).status_code == 200
    assert sink.mails_to(family.user("jongere").email) == []


def test_a_choice_that_is_not_offered_is_refused_with_a_message(
    client: TestClient, family: Family
) -> None:
    sign_in(client, family.user("moeder"))
    refused = client.post("/account/meldingen", data={"akkoord": "elk-uur"})
    assert refused.status_code == 422
    assert "Kies bij elke soort mail wat je wilt." in refused.text
    assert today()  # the page still works after it
    assert client.get("/account/meldingen").status_code == 200
