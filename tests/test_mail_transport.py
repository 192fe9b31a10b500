"""Mail really leaves over SMTP: plain, with a user and password, and over TLS; refusals and
an unreachable server are tried again later, a refusal for good is not."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.db import make_engine
from app.mail_transport import SmtpTransport, transport_for
from app.models import MailStatus, OutboxMessage, utcnow
from app.services import outbox
from app.services.mail_texts import Mail, MailKind
from app.settings import Settings
from tests.crdt.live import free_port
from tests.smtp_sink import self_signed_certificate, smtp_sink

SENDER = "eenplan <noreply@eenplan.test>"


@pytest.fixture
def engine(settings: Settings) -> Engine:
    made = make_engine(settings.database_url)
    yield made  # type: ignore[misc]
    made.dispose()


def _queue(engine: Engine, to: str = "ouder@voorbeeld.nl", body: str = "Hallo €, 🙂\n") -> int:
    with Session(engine) as session:
        message = outbox.add_mail(
            session,
            to_email=to,
            mail=Mail("Een nieuwe versie wacht op jouw akkoord", body),
            kind=MailKind.akkoord,
        )
        session.commit()
        assert message.id is not None
        return message.id


def _row(engine: Engine, message_id: int) -> OutboxMessage:
    with Session(engine) as session:
        row = session.get(OutboxMessage, message_id)
        assert row is not None
        return row


def _time_passes(engine: Engine) -> None:
    """Every waiting mail is due now, as if the wait before its next try were over."""
    with Session(engine) as session:
        for row in session.exec(select(OutboxMessage)).all():
            row.next_attempt_at = None
            session.add(row)
        session.commit()


@pytest.mark.parametrize("auth", [False, True], ids=["plain", "with-password"])
def test_a_mail_in_the_outbox_arrives_at_the_smtp_server_once(engine: Engine, auth: bool) -> None:
    credentials = {"user": "eenplan", "password": "geheim wachtwoord"} if auth else {}
    with smtp_sink(**credentials) as sink:  # type: ignore[arg-type]
        url = sink.url.replace("geheim wachtwoord", "geheim%20wachtwoord")
        message_id = _queue(engine)
        send = SmtpTransport(url, sender=SENDER)
        assert outbox.deliver_due(engine, send) == 1
        assert outbox.deliver_due(engine, send) == 0  # nothing left: sent once
        mail = sink.wait_for("ouder@voorbeeld.nl")[0]
    assert mail.subject == "Een nieuwe versie wacht op jouw akkoord"
    assert mail.text == "Hallo €, 🙂\n"
    assert "noreply@eenplan.test" in str(mail.message["From"])
    assert sink.logins == (["eenplan"] if auth else [])
    row = _row(engine, message_id)
    assert row.status == MailStatus.sent and row.sent_at is not None and row.attempts == 1
    assert str(mail.message["Message-ID"]).startswith(f"<eenplan.outbox.{message_id}.")


def test_smtps_speaks_tls_from_the_first_byte_and_checks_the_certificate(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = self_signed_certificate(tmp_path)
    with smtp_sink(user="eenplan", password="geheim", tls=(cert, key)) as sink:
        assert sink.url.startswith("smtps://eenplan:geheim@")
        _queue(engine)
        send = SmtpTransport(sink.url, sender=SENDER)
        # A certificate nobody trusts: refused, kept for a later try.
        outbox.deliver_due(engine, send)
        assert sink.received == []
        # Trusted (as an organisation's own CA would be): delivered.
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        _time_passes(engine)
        assert outbox.deliver_due(engine, send) == 1
        assert len(sink.wait_for("ouder@voorbeeld.nl")) == 1
        assert sink.logins == ["eenplan"]


def test_a_temporary_refusal_is_tried_again_later_with_growing_waits(engine: Engine) -> None:
    with smtp_sink() as sink:
        message_id = _queue(engine)
        send = SmtpTransport(sink.url, sender=SENDER)
        sink.refuse = 451
        before = utcnow()
        outbox.deliver_due(engine, send)
        first = _row(engine, message_id)
        assert first.status == MailStatus.pending and first.attempts == 1
        assert first.next_attempt_at is not None
        assert first.next_attempt_at - before >= outbox.retry_wait(1) - timedelta(seconds=1)
        assert "451" in first.last_error
        assert outbox.deliver_due(engine, send) == 0  # not due yet
        assert outbox.retry_wait(2) > outbox.retry_wait(1)
        assert outbox.retry_wait(50) == timedelta(seconds=outbox.LONGEST_WAIT_SECONDS)
        sink.refuse = None
        _time_passes(engine)
        assert outbox.deliver_due(engine, send) == 1
        assert len(sink.wait_for("ouder@voorbeeld.nl")) == 1
    assert _row(engine, message_id).status == MailStatus.sent


def test_a_refusal_for_good_is_not_tried_again(engine: Engine) -> None:
    with smtp_sink() as sink:
        message_id = _queue(engine)
        sink.refuse = 550
        outbox.deliver_due(engine, SmtpTransport(sink.url, sender=SENDER))
    row = _row(engine, message_id)
    assert row.status == MailStatus.failed and "550" in row.last_error


def test_an_unreachable_server_keeps_the_mail_for_later(engine: Engine) -> None:
    message_id = _queue(engine)
    outbox.deliver_due(engine, SmtpTransport(f"smtp://127.0.0.1:{free_port()}", sender=SENDER))
    row = _row(engine, message_id)
    assert row.status == MailStatus.pending and row.attempts == 1 and row.next_attempt_at


def test_after_too_many_tries_a_mail_is_marked_failed(engine: Engine) -> None:
    message_id = _queue(engine)
    dead = SmtpTransport(f"smtp://127.0.0.1:{free_port()}", sender=SENDER)
    for _ in range(outbox.MAX_ATTEMPTS):
        _time_passes(engine)
        outbox.deliver_due(engine, dead)
    assert _row(engine, message_id).status == MailStatus.failed


def test_without_a_mail_server_mails_stay_in_the_outbox_and_development_prints_them(
    engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert transport_for(Settings(environment="test")) is None
    assert transport_for(Settings(environment="production", secret_key="x" * 40)) is None
    printer = transport_for(Settings(environment="development"))
    assert printer is not None
    message_id = _queue(engine)
    outbox.deliver_due(engine, printer)
    printed = capsys.readouterr().out
    assert "Aan: ouder@voorbeeld.nl" in printed and "Hallo €" in printed
    assert _row(engine, message_id).status == MailStatus.printed


def test_a_line_break_in_a_subject_never_becomes_a_header(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        message = outbox.add_mail(
            session,
            to_email="ouder@voorbeeld.nl",
            mail=Mail("Gezin X\r\nBcc: aanvaller@example.com", "tekst\n"),
            kind=MailKind.akkoord,
        )
        session.commit()
    with smtp_sink() as sink:
        outbox.deliver_due(engine, SmtpTransport(sink.url, sender=SENDER))
        mail = sink.wait_for("ouder@voorbeeld.nl")[0]
    assert message.subject == "Gezin X Bcc: aanvaller@example.com"
    assert mail.message["Bcc"] is None and mail.recipients == ["ouder@voorbeeld.nl"]
