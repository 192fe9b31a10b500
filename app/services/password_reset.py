"""A forgotten password: a single-use link by mail, valid one hour, stored only as a hash.

The answer to a request is the same whether the address has an account or not, and requests
are throttled per address and per client like sign-in tries. Choosing the new password ends
every session of the account; an account with two-factor sign-in still needs its code to
sign in afterwards (a reset never signs anyone in).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.models import PasswordReset, User, utcnow
from app.security import hash_password, new_token, password_problem, token_hash
from app.services import accounts, mail_texts, notifications, outbox, throttle
from app.services.access_bus import AccessBus
from app.services.errors import Gone, InvalidInput, NotFound
from app.settings import Settings

VALID_MINUTES = 60
# Requests for one address from one client, and for one address over all clients, before each
# further request waits (the waits double, as with sign-in).
FREE_PER_ADDRESS = 3
TOO_MANY = (
    "Je hebt al een paar keer een nieuw wachtwoord gevraagd. Kijk eerst in je mail (ook bij "
    "spam). Wacht {wait} en probeer het dan opnieuw."
)
RESET_GONE = (
    "Deze link werkt niet meer. Hij is al gebruikt of ouder dan een uur. "
    "Vraag hieronder een nieuwe link aan."
)


def _limits(email: str, client_ip: str, settings: Settings) -> list[throttle.Limit]:
    return [
        throttle.Limit(f"reset:{email}|{client_ip}", FREE_PER_ADDRESS),
        throttle.Limit(f"reset-ip:{client_ip}", settings.login_max_attempts_per_ip),
        throttle.Limit(f"reset:{email}", FREE_PER_ADDRESS * throttle.ACCOUNT_FACTOR),
    ]


def request_reset(session: Session, *, email: str, client_ip: str, settings: Settings) -> None:
    """Mail a reset link when ``email`` belongs to an active account; do nothing that shows
    otherwise. Raises InvalidInput for an address that cannot be one, TooManyAttempts when
    this address or client asked too often."""
    if problem := accounts.email_problem(email):
        raise InvalidInput(problem, field_errors={"email": problem})
    email = accounts.normalise_email(email)
    throttle.take_try(
        session, _limits(email, client_ip, settings), settings=settings, message=TOO_MANY
    )
    user = accounts.find_user_by_email(session, email)
    if user is None or not user.is_active:
        return
    now = utcnow()
    # One link at a time: a new request makes the older links stop.
    session.execute(
        update(PasswordReset)
        .where(col(PasswordReset.user_id) == user.id, col(PasswordReset.used_at).is_(None))
        .values(used_at=now)
    )
    token = new_token()
    session.add(
        PasswordReset(
            user_id=user.id,  # type: ignore[arg-type]
            token_hash=token_hash(token),
            expires_at=now + timedelta(minutes=VALID_MINUTES),
        )
    )
    outbox.add_mail(
        session,
        to_email=user.email,
        mail=mail_texts.password_reset(
            name=user.name,
            link=notifications.link_to(settings, f"/wachtwoord-herstellen/{token}"),
            valid_minutes=VALID_MINUTES,
        ),
        kind=mail_texts.MailKind.wachtwoord,
        user_id=user.id,
    )
    session.commit()


def open_reset(session: Session, *, token: str) -> tuple[PasswordReset, User]:
    """The reset behind a link while it can still be used; Gone (410) otherwise."""
    reset = session.exec(
        select(PasswordReset).where(PasswordReset.token_hash == token_hash(token))
    ).first()
    if reset is None:
        raise NotFound("Deze link bestaat niet. Kijk of je de hele link uit de mail hebt.")
    user = session.get(User, reset.user_id)
    if reset.used_at is not None or reset.expires_at <= utcnow() or user is None:
        raise Gone(RESET_GONE)
    if not user.is_active:
        raise Gone(RESET_GONE)
    return reset, user


def finish_reset(
    session: Session,
    *,
    token: str,
    new: str,
    new_again: str,
    settings: Settings,
    bus: AccessBus,
) -> User:
    """Set the new password once: the link is used up, every session of the account ends
    and a mail says the password changed. Signs nobody in."""
    reset, user = open_reset(session, token=token)
    errors: dict[str, str] = {}
    if problem := password_problem(new, email=user.email, name=user.name):
        errors["new_password"] = problem
    elif new != new_again:
        errors["new_password_again"] = "De twee wachtwoorden zijn niet hetzelfde."
    if errors:
        raise InvalidInput("Controleer de velden hieronder.", field_errors=errors)
    # Sessions end first: if the rest fails, the link still works and nobody kept a session.
    accounts.end_other_sessions(session, user=user, keep_token=None, bus=bus)
    taken = session.execute(
        update(PasswordReset)
        .where(col(PasswordReset.id) == reset.id, col(PasswordReset.used_at).is_(None))
        .values(used_at=utcnow())
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise Gone(RESET_GONE)
    user.password_hash = hash_password(new)
    session.add(user)
    notifications.mail_security_change(
        session, user=user, change="wachtwoord_hersteld", settings=settings
    )
    session.commit()
    return user


def forget_expired(session: Session) -> int:
    """Remove reset links that expired more than a day ago (a step: the caller commits)."""
    rows = session.exec(
        select(PasswordReset).where(PasswordReset.expires_at < utcnow() - timedelta(days=1))
    ).all()
    for row in rows:
        session.delete(row)
    return len(rows)
