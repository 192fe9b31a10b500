"""Users, sign-in with throttling, and sessions."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, delete, func, select

from app.models import LoginAttempt, User, UserSession, utcnow
from app.security import hash_password, new_token, password_problem, token_hash, verify_password
from app.services.errors import InvalidInput, TooManyAttempts
from app.settings import Settings

SIGN_IN_FAILED = "Dit e-mailadres en wachtwoord horen niet bij elkaar. Probeer het opnieuw."
TOO_MANY = (
    "Je hebt te vaak een verkeerd wachtwoord geprobeerd. Wacht een kwartier en probeer het "
    "dan opnieuw."
)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_problem(email: str) -> str | None:
    email = normalise_email(email)
    if not email:
        return "Vul je e-mailadres in."
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email or len(email) > 320:
        return "Dit is geen geldig e-mailadres. Het ziet eruit als naam@voorbeeld.nl."
    return None


def name_problem(name: str) -> str | None:
    name = name.strip()
    if not name:
        return "Vul je naam in."
    if len(name) > 120:
        return "Je naam mag hoogstens 120 tekens lang zijn."
    return None


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def create_user(session: Session, *, email: str, name: str, password: str) -> User:
    """Create an account. Raises InvalidInput with field errors in Dutch."""
    errors: dict[str, str] = {}
    if problem := email_problem(email):
        errors["email"] = problem
    if problem := name_problem(name):
        errors["name"] = problem
    if problem := password_problem(password, email=email, name=name):
        errors["password"] = problem
    if not errors and find_user_by_email(session, email) is not None:
        errors["email"] = "Er is al een account met dit e-mailadres. Log in met dat account."
    if errors:
        raise InvalidInput("Controleer de velden hieronder.", field_errors=errors)
    user = User(
        email=normalise_email(email), name=name.strip(), password_hash=hash_password(password)
    )
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def _recent_failures(session: Session, key: str, since_seconds: int) -> int:
    since = utcnow() - timedelta(seconds=since_seconds)
    count = session.exec(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.key == key, col(LoginAttempt.attempted_at) >= since)
    ).one()
    return int(count)


def authenticate(
    session: Session, *, email: str, password: str, client_ip: str, settings: Settings
) -> User:
    """Check e-mail and password; count failures per address and per IP.

    The message is the same for an unknown address and a wrong password.
    """
    keys = [f"email:{normalise_email(email)}", f"ip:{client_ip}"]
    for key in keys:
        if (
            _recent_failures(session, key, settings.login_window_seconds)
            >= settings.login_max_attempts
        ):
            raise TooManyAttempts(TOO_MANY)
    user = find_user_by_email(session, email)
    ok = verify_password(password, user.password_hash if user else None)
    if not ok or user is None or not user.is_active:
        for key in keys:
            session.add(LoginAttempt(key=key))
        session.commit()
        raise InvalidInput(SIGN_IN_FAILED)
    session.exec(delete(LoginAttempt).where(col(LoginAttempt.key) == keys[0]))
    session.commit()
    return user


def start_session(session: Session, *, user: User, settings: Settings) -> str:
    """Create a sign-in and return the cookie token (only its hash is stored)."""
    token = new_token()
    session.add(
        UserSession(
            token_hash=token_hash(token),
            user_id=user.id,  # type: ignore[arg-type]
            expires_at=utcnow() + timedelta(days=settings.session_days),
        )
    )
    session.commit()
    return token


def user_for_session_token(session: Session, token: str | None) -> User | None:
    if not token:
        return None
    row = session.get(UserSession, token_hash(token))
    if row is None or row.ended_at is not None or row.expires_at <= utcnow():
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return user


def end_session(session: Session, token: str | None) -> None:
    if not token:
        return
    row = session.get(UserSession, token_hash(token))
    if row is not None and row.ended_at is None:
        row.ended_at = utcnow()
        session.add(row)
        session.commit()
