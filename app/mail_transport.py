"""Handing a mail from the outbox to the world: an SMTP server (``EENPLAN_SMTP_URL``) with
Python's own ``smtplib``, or, in development without one, the console.

``smtp://host:port`` talks plain SMTP and switches to TLS (STARTTLS) when the server offers
it; ``smtps://user:password@host:port`` uses TLS from the first byte. A user and password in
the URL sign in (percent-encoded characters are decoded). Both check the server's
certificate against the system's trusted certificates.
"""

from __future__ import annotations

import smtplib
import ssl
import sys
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import unquote, urlsplit

from app.models import MailStatus, OutboxMessage, utcnow
from app.services.outbox import DeliveryFailed, Send
from app.settings import Settings

TIMEOUT_SECONDS = 30


def as_email(message: OutboxMessage, *, sender: str) -> EmailMessage:
    """The outbox row as a plain-text mail (UTF-8). The Message-ID is the same on every try,
    so a mail that had to be sent again can be recognised as the same one."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.to_email
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(message.created_at or utcnow())
    domain = sender.rsplit("@", 1)[-1].strip("> ") or "eenplan"
    made = int(message.created_at.timestamp())
    mail["Message-ID"] = f"<eenplan.outbox.{message.id}.{made}@{domain}>"
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(message.body)
    return mail


class SmtpTransport:
    """Sends each mail over its own SMTP connection (eenplan sends few mails)."""

    def __init__(self, url: str, *, sender: str) -> None:
        parts = urlsplit(url)
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else ""
        self.sender = sender

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.implicit_tls:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT_SECONDS, context=context)
        client = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS)
        client.ehlo()
        if client.has_extn("starttls"):
            client.starttls(context=context)
            client.ehlo()
        return client

    def __call__(self, message: OutboxMessage) -> MailStatus:
        mail = as_email(message, sender=self.sender)
        try:
            with self._connect() as client:
                if self.username:
                    client.login(self.username, self.password)
                client.send_message(mail)
        except smtplib.SMTPRecipientsRefused as refused:
            raise DeliveryFailed(f"address refused: {refused.recipients}", permanent=True) from None
        except smtplib.SMTPResponseException as answer:
            # 5xx: the server will not take this mail, ever; 4xx: try again later.
            raise DeliveryFailed(
                f"{answer.smtp_code} {answer.smtp_error!r}", permanent=answer.smtp_code >= 500
            ) from None
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}") from None
        return MailStatus.sent


def print_to_console(message: OutboxMessage) -> MailStatus:
    """Development without a mail server: show the mail where `make run` prints."""
    print(
        f"\n--- mail (niet verstuurd: EENPLAN_SMTP_URL is leeg) ---\n"
        f"Aan: {message.to_email}\nOnderwerp: {message.subject}\n\n{message.body}"
        f"--- einde mail ---\n",
        file=sys.stdout,
        flush=True,
    )
    return MailStatus.printed


def transport_for(settings: Settings) -> Send | None:
    """How this node delivers mail; None: mails stay in the outbox (no server, not in
    development)."""
    if settings.smtp_url:
        return SmtpTransport(settings.smtp_url, sender=settings.mail_sender)
    if settings.environment == "development":
        return print_to_console
    return None
