"""The outbox: every mail is written here first, in the transaction of what caused it, and
delivered afterwards by whichever node gets to it.

Delivery takes one due mail at a time with a row lock (``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL): while one node sends a mail, no other node can take it, and a node that finds it
locked goes on to the next. The mail is marked sent in the same transaction, so it goes once;
only a crash between the mail server's "accepted" and that commit sends it again (at least
once, never lost). A failed try is retried later, each wait longer than the one before; a
refusal for good, or too many tries, marks it failed. SQLite is one node (one delivery loop).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, or_, select

from app.models import MailStatus, OutboxMessage, utcnow
from app.services.mail_texts import Mail, MailKind

MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 30
LONGEST_WAIT_SECONDS = 6 * 3600
# Kept in the database only until sent: the link in it opens the account.
SECRET_KINDS = frozenset({MailKind.wachtwoord})
SCRUBBED = "(Deze mail had een link om een wachtwoord te kiezen. Die is hier gewist.)"


class DeliveryFailed(Exception):
    """The mail server did not take the mail. ``permanent``: trying again will not help."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


# Hands one mail to the mail server (or the console); returns what became of it.
Send = Callable[[OutboxMessage], MailStatus]


def one_line(text: str) -> str:
    """A value safe for a mail header: no line breaks or other control characters."""
    return re.sub(r"[\x00-\x1f\x7f\u2028\u2029]+", " ", text).strip()


def add_mail(
    session: Session,
    *,
    to_email: str,
    mail: Mail,
    kind: MailKind,
    user_id: int | None = None,
    case_id: str | None = None,
) -> OutboxMessage:
    """Put a mail in the outbox, in the caller's transaction (a step: the caller commits)."""
    message = OutboxMessage(
        case_id=case_id,
        to_email=one_line(to_email),
        subject=one_line(mail.subject)[:200],
        body=mail.body,
        kind=kind,
        user_id=user_id,
    )
    session.add(message)
    return message


def retry_wait(attempts: int) -> timedelta:
    """How long to wait after ``attempts`` failed tries: 30 s, 1 min, 2 min, … at most 6 h."""
    seconds = FIRST_RETRY_SECONDS * 2 ** max(0, min(attempts - 1, 20))
    return timedelta(seconds=min(seconds, LONGEST_WAIT_SECONDS))


def _due(now: datetime):  # type: ignore[no-untyped-def]
    return (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == MailStatus.pending,
            or_(
                col(OutboxMessage.next_attempt_at).is_(None),
                col(OutboxMessage.next_attempt_at) <= now,
            ),
        )
        .order_by(col(OutboxMessage.id))
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def deliver_one(engine: Engine, send: Send) -> bool:
    """Deliver the oldest due mail, holding its row lock while it is sent; False when no mail
    is due (or every due one is being sent by another node)."""
    with Session(engine, expire_on_commit=False) as session:
        now = utcnow()
        message = session.exec(_due(now)).first()
        if message is None:
            session.rollback()
            return False
        message.attempts += 1
        try:
            status = send(message)
        except DeliveryFailed as failed:
            message.last_error = str(failed)[:500]
            if failed.permanent or message.attempts >= MAX_ATTEMPTS:
                message.status = MailStatus.failed
            else:
                message.next_attempt_at = now + retry_wait(message.attempts)
        except Exception as error:  # a bug or a broken network: try again later
            message.last_error = f"{type(error).__name__}: {error}"[:500]
            message.next_attempt_at = now + retry_wait(message.attempts)
        else:
            message.status = status
            message.sent_at = utcnow()
            message.last_error = ""
        if message.kind in SECRET_KINDS and message.status != MailStatus.pending:
            message.body = SCRUBBED
        session.add(message)
        session.commit()
        return True


def deliver_due(engine: Engine, send: Send, *, limit: int = 100) -> int:
    """Deliver due mails until none is left (at most ``limit``); returns how many were tried."""
    tried = 0
    while tried < limit and deliver_one(engine, send):
        tried += 1
    return tried


def scrub_old_secrets(session: Session, *, older_than: timedelta) -> int:
    """Wipe reset links from mails that were never sent and whose link has expired anyway
    (no mail server configured); the caller commits."""
    rows = session.exec(
        select(OutboxMessage).where(
            col(OutboxMessage.kind).in_([str(k) for k in SECRET_KINDS]),
            OutboxMessage.created_at < utcnow() - older_than,
            OutboxMessage.body != SCRUBBED,
        )
    ).all()
    for row in rows:
        row.body = SCRUBBED
        session.add(row)
    return len(rows)


def mails_to(session: Session, *, email: str) -> list[OutboxMessage]:
    """Every mail to an address, oldest first."""
    return list(
        session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.to_email == email)
            .order_by(col(OutboxMessage.id))
        ).all()
    )
