"""Wachtwoord vergeten: the same answer for every address, a single-use link by mail that
works one hour and is stored only as a hash, throttled requests, every session ended, and
two-factor sign-in still asked after a reset."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.main import create_app
from app.models import OutboxMessage, PasswordReset, User, UserSession, utcnow
from app.security import SESSION_COOKIE
from app.services import accounts, password_reset
from app.settings import Settings
from tests.conftest import ORIGIN, PASSWORD, Family, make_user, next_totp_code
from tests.crdt.yclient import eventually
from tests.smtp_sink import Received, Sink, smtp_sink

NEW_PASSWORD = "mijn-nieuwe-lange-zin"
RESET_MAIL = "Kies een nieuw wachtwoord voor eenplan"


@pytest.fixture
def sink() -> Iterator[Sink]:
    with smtp_sink() as server:
        yield server


@pytest.fixture
def client(settings: Settings, sink: Sink) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"smtp_url": sink.url}))
    with TestClient(app, headers={"Origin": ORIGIN}, follow_redirects=False) as test_client:
        yield test_client


def reset_path(mail: Received) -> str:
    links = [link for link in mail.links() if "/wachtwoord-herstellen/" in link]
    assert len(links) == 1, mail.text
    return links[0].removeprefix(ORIGIN)


def ask(client: TestClient, email: str) -> str:
    response = client.post("/wachtwoord-vergeten", data={"email": email})
    assert response.status_code == 200, response.text
    return response.text


def choose(client: TestClient, path: str, password: str = NEW_PASSWORD) -> int:
    response = client.post(path, data={"new_password": password, "new_password_again": password})
    return response.status_code


def test_the_answer_is_the_same_whether_the_address_has_an_account_or_not(
    client: TestClient, family: Family, sink: Sink
) -> None:
    known = ask(client, family.user("moeder").email)
    unknown = ask(client, "niemand@voorbeeld.nl")
    assert "Hoort dit e-mailadres bij een account?" in known
    strip = re.compile(r'nonce="[^"]+"|value="[^"]*"')
    assert strip.sub("", known) == strip.sub("", unknown)
    sink.wait_for(family.user("moeder").email, RESET_MAIL)
    assert sink.mails_to("niemand@voorbeeld.nl") == []


def test_the_link_in_the_mail_sets_a_new_password_once_and_signs_out_everywhere(
    client: TestClient, family: Family, sink: Sink, db: Session, settings: Settings
) -> None:
    moeder = family.user("moeder")
    other_device = accounts.start_session(db, user=moeder, settings=settings)
    ask(client, moeder.email.upper())  # the address as typed, in capitals
    mail = sink.wait_for(moeder.email, RESET_MAIL)[0]
    assert "60 minuten en één keer" in mail.text
    path = reset_path(mail)
    token = path.rsplit("/", 1)[1]
    stored = db.exec(select(PasswordReset).where(PasswordReset.user_id == moeder.id)).one()
    assert stored.token_hash != token and token not in stored.token_hash
    page = client.get(path)
    assert page.status_code == 200 and moeder.email in page.text
    answer = client.post(
        path, data={"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/login?wachtwoord=nieuw"
    assert "Je nieuwe wachtwoord is opgeslagen." in client.get(answer.headers["location"]).text
    # the session on the other device has ended
    assert accounts.user_for_session_token(db, other_device) is None
    # the old password no longer works, the new one does
    old = client.post("/login", data={"email": moeder.email, "password": PASSWORD})
    assert old.status_code == 400
    new = client.post("/login", data={"email": moeder.email, "password": NEW_PASSWORD})
    assert new.status_code == 303 and new.cookies.get(SESSION_COOKIE)
    # used once: the link is gone now
    client.cookies.clear()
    again = client.get(path)
    assert again.status_code == 410 and "Deze link werkt niet meer." in again.text
    assert choose(client, path, "nog-een-ander-wachtwoord") == 410
    # and a mail says the password changed
    told = sink.wait_for(moeder.email, "Je inloggegevens van eenplan zijn gewijzigd")[0]
    assert "nieuw wachtwoord gekozen via de link" in told.text


def test_a_link_works_one_hour(client: TestClient, family: Family, sink: Sink, db: Session) -> None:
    moeder = family.user("moeder")
    ask(client, moeder.email)
    path = reset_path(sink.wait_for(moeder.email, RESET_MAIL)[0])
    stored = db.exec(select(PasswordReset).where(PasswordReset.user_id == moeder.id)).one()
    assert timedelta(minutes=59) < stored.expires_at - stored.created_at <= timedelta(minutes=60)
    stored.expires_at = utcnow() - timedelta(seconds=1)
    db.add(stored)
    db.commit()
    assert client.get(path).status_code == 410
    assert choose(client, path) == 410


def test_a_new_request_makes_the_older_link_stop(
    client: TestClient, family: Family, sink: Sink
) -> None:
    moeder = family.user("moeder")
    ask(client, moeder.email)
    first = reset_path(sink.wait_for(moeder.email, RESET_MAIL)[0])
    ask(client, moeder.email)
    second = reset_path(sink.wait_for(moeder.email, RESET_MAIL, count=2)[1])
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200


def test_a_weak_or_mistyped_new_password_is_explained_and_the_link_keeps_working(
    client: TestClient, family: Family, sink: Sink
) -> None:
    moeder = family.user("moeder")
    ask(client, moeder.email)
    path = reset_path(sink.wait_for(moeder.email, RESET_MAIL)[0])
    short = client.post(path, data={"new_password": "kort", "new_password_again": "kort"})
    assert short.status_code == 422 and "minstens 10 tekens" in short.text
    typo = client.post(
        path, data={"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD + "x"}
    )
    assert typo.status_code == 422 and "niet hetzelfde" in typo.text
    assert choose(client, path) == 303


def test_the_field_names_of_the_invitation_form_work_too(
    client: TestClient, family: Family, sink: Sink
) -> None:
    moeder = family.user("moeder")
    ask(client, moeder.email)
    path = reset_path(sink.wait_for(moeder.email, RESET_MAIL)[0])
    answer = client.post(path, data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert answer.status_code == 303
    signed_in = client.post("/login", data={"email": moeder.email, "password": NEW_PASSWORD})
    assert signed_in.status_code == 303


def test_an_unknown_link_gets_a_clear_page(client: TestClient) -> None:
    answer = client.get("/wachtwoord-herstellen/bestaat-niet")
    assert answer.status_code == 404
    assert "Deze link bestaat niet." in answer.text


def test_requests_are_throttled_whether_the_address_exists_or_not(
    client: TestClient, family: Family
) -> None:
    for address in (family.user("moeder").email, "niemand@voorbeeld.nl"):
        for _ in range(password_reset.FREE_PER_ADDRESS):
            ask(client, address)
        refused = client.post("/wachtwoord-vergeten", data={"email": address})
        assert refused.status_code == 429, address
        assert int(refused.headers["Retry-After"]) > 0
        assert "Wacht" in refused.text


def test_an_address_that_cannot_be_one_is_explained(client: TestClient) -> None:
    answer = client.post("/wachtwoord-vergeten", data={"email": "geen adres"})
    assert answer.status_code == 422
    assert "Dit is geen geldig e-mailadres." in answer.text


def test_an_account_with_two_factor_sign_in_still_needs_its_code_after_a_reset(
    client: TestClient, db: Session, sink: Sink
) -> None:
    worker = make_user(db, "Wim WIJ", professional=True, totp=True)
    ask(client, worker.email)
    path = reset_path(sink.wait_for(worker.email, RESET_MAIL)[0])
    assert choose(client, path) == 303
    first = client.post("/login", data={"email": worker.email, "password": NEW_PASSWORD})
    assert first.status_code == 401 and 'name="code"' in first.text
    assert not first.cookies.get(SESSION_COOKIE)
    pending = re.search(r'name="pending" value="([^"]+)"', first.text)
    assert pending is not None
    engine = client.app.state.engine  # type: ignore[attr-defined]
    code = next_totp_code(engine, worker.id)  # type: ignore[arg-type]
    second = client.post("/login", data={"pending": pending.group(1), "code": code})
    assert second.status_code == 303 and second.cookies.get(SESSION_COOKIE)


def test_a_reset_link_is_wiped_from_the_outbox_once_it_was_sent(
    client: TestClient, family: Family, sink: Sink, db: Session
) -> None:
    moeder = family.user("moeder")
    ask(client, moeder.email)
    path = reset_path(sink.wait_for(moeder.email, RESET_MAIL)[0])
    token = path.rsplit("/", 1)[1]

    def marked_sent() -> list[OutboxMessage]:
        db.expire_all()
        query = select(OutboxMessage).where(OutboxMessage.to_email == moeder.email)
        rows = db.exec(query).all()
        return list(rows) if rows and all(row.sent_at is not None for row in rows) else []

    # The sink has the mail a moment before the sender records it as sent.
    eventually(lambda: bool(marked_sent()))
    assert all(token not in row.body for row in marked_sent())


def test_an_inactive_account_gets_no_link(client: TestClient, db: Session, sink: Sink) -> None:
    gone = make_user(db, "Oud Account")
    gone.is_active = False
    db.add(gone)
    db.commit()
    ask(client, gone.email)
    assert db.exec(select(PasswordReset).where(PasswordReset.user_id == gone.id)).all() == []
    assert isinstance(db.get(User, gone.id), User)
    assert sink.mails_to(gone.email) == []
    assert db.exec(select(UserSession).where(UserSession.user_id == gone.id)).all() == []
