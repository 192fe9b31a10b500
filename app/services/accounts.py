"""Users, sign-in with throttling (and a second factor where needed), and sessions."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.models import AuthLevel, Participant, User, UserSession, utcnow
from app.security import (
    derive_key,
    hash_password,
    new_token,
    password_problem,
    token_hash,
    verify_password,
)
from app.services import notifications, throttle, two_factor
from app.services.access_bus import AccessBus
from app.services.errors import Forbidden, InvalidInput, NotFound
from app.settings import Settings

SIGN_IN_FAILED = "Dit e-mailadres en wachtwoord horen niet bij elkaar. Probeer het opnieuw."
TOO_MANY = (
    "Je hebt te vaak een verkeerd wachtwoord geprobeerd. Wacht {wait} en probeer het dan opnieuw."
)
PENDING_MINUTES = 5
MAX_EMAIL_LENGTH = 320  # the longest address RFC 5321 allows; also the column's length


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_problem(email: str) -> str | None:
    email = normalise_email(email)
    if not email:
        return "Vul je e-mailadres in."
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email or len(email) > MAX_EMAIL_LENGTH:
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


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    is_professional: bool = False,
    is_admin: bool = False,
) -> User:
    """Create an account. Raises InvalidInput with field errors in Dutch. Only an
    administrator's tools (``eenplan create-user``) pass ``is_professional``/``is_admin``."""
    user = add_user(
        session,
        email=email,
        name=name,
        password=password,
        is_professional=is_professional,
        is_admin=is_admin,
    )
    session.commit()
    session.refresh(user)
    return user


def add_user(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    is_professional: bool = False,
    is_admin: bool = False,
) -> User:
    """Add an account in the caller's transaction (a step: the caller commits), as
    ``create_user`` checks it."""
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
        email=normalise_email(email),
        name=name.strip(),
        password_hash=hash_password(password),
        is_professional=is_professional,
        is_admin=is_admin,
    )
    session.add(user)
    session.flush()
    return user


def check_password(
    session: Session,
    *,
    user: User | None,
    email: str,
    password: str,
    client_ip: str,
    settings: Settings,
) -> bool:
    """Every password check goes through here: the try is counted before the check
    (TooManyAttempts when it has to wait) and given back when the password is right."""
    limits = throttle.password_limits(
        email=normalise_email(email), client_ip=client_ip, settings=settings
    )
    throttle.take_try(session, limits, settings=settings, message=TOO_MANY)
    ok = verify_password(password, user.password_hash if user else None)
    if ok and user is not None and user.is_active:
        throttle.give_back(session, limits, settings=settings)
        return True
    return False


def authenticate(
    session: Session, *, email: str, password: str, client_ip: str, settings: Settings
) -> User:
    """Check e-mail and password (throttled per account, per address and per account from an
    address). The message is the same for an unknown address and a wrong password."""
    user = find_user_by_email(session, email)
    if not check_password(
        session,
        user=user,
        email=email,
        password=password,
        client_ip=client_ip,
        settings=settings,
    ):
        raise InvalidInput(SIGN_IN_FAILED)
    assert user is not None
    return user


class CodeNeeded(Exception):
    """The password was right; the account asks for its two-factor code next."""

    def __init__(self, user: User, pending: str) -> None:
        super().__init__("code needed")
        self.user = user
        self.pending = pending


def _pending_mac(key: bytes, user: User, expires: int) -> str:
    # The password hash is part of it, so a password change ends a half-finished sign-in.
    message = f"{user.id}.{expires}.{user.password_hash}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def pending_token(user: User, settings: Settings) -> str:
    """A short-lived signed note 'the password of this account was right', for the code step
    of the sign-in form, so the password is not sent twice."""
    expires = int(time.time()) + PENDING_MINUTES * 60
    key = derive_key(settings.secret_key, "pending-sign-in")
    return f"{user.id}.{expires}.{_pending_mac(key, user, expires)}"


def user_for_pending_token(session: Session, token: str, settings: Settings) -> User | None:
    match = re.fullmatch(r"(\d+)\.(\d+)\.([0-9a-f]{64})", token.strip())
    if match is None or int(match.group(2)) < time.time():
        return None
    user = session.get(User, int(match.group(1)))
    if user is None or not user.is_active:
        return None
    key = derive_key(settings.secret_key, "pending-sign-in")
    expected = _pending_mac(key, user, int(match.group(2)))
    return user if hmac.compare_digest(expected, match.group(3)) else None


def sign_in(
    session: Session,
    *,
    email: str,
    password: str,
    code: str,
    pending: str,
    client_ip: str,
    settings: Settings,
) -> tuple[User, AuthLevel]:
    """The whole sign-in: password (or the signed note of an earlier right password), then the
    two-factor code when the account uses it. Returns the account and the level its session
    gets: ``enrolment`` when the account must set up two-factor sign-in first.

    Raises InvalidInput, TooManyAttempts, or CodeNeeded (password right, code missing)."""
    user = user_for_pending_token(session, pending, settings) if pending and not password else None
    if user is None:
        user = authenticate(
            session, email=email, password=password, client_ip=client_ip, settings=settings
        )
    if user.uses_two_factor:
        if not code.strip():
            raise CodeNeeded(user, pending_token(user, settings))
        two_factor.check_code(session, user=user, code=code, settings=settings)
        return user, AuthLevel.two_factor
    if two_factor.is_required(session, user=user, settings=settings):
        return user, AuthLevel.enrolment
    return user, AuthLevel.password


def device_label(user_agent: str) -> str:
    """'Firefox op Windows': enough to recognise a session, no more."""
    browsers = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Safari/", "Safari"),
    ]
    systems = [
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    browser = next((name for mark, name in browsers if mark in user_agent), "")
    system = next((name for mark, name in systems if mark in user_agent), "")
    if browser and system:
        return f"{browser} op {system}"
    return browser or system or "Onbekende browser"


def start_session(
    session: Session,
    *,
    user: User,
    settings: Settings,
    level: AuthLevel = AuthLevel.password,
    user_agent: str = "",
) -> str:
    """Create a sign-in and return the cookie token (only its hash is stored)."""
    token = new_token()
    session.add(
        UserSession(
            token_hash=token_hash(token),
            user_id=user.id,  # type: ignore[arg-type]
            expires_at=utcnow() + timedelta(days=settings.session_days),
            auth_level=level,
            device=device_label(user_agent)[:120],
        )
    )
    session.commit()
    return token


def _live_session(session: Session, token: str | None) -> tuple[UserSession, User] | None:
    if not token:
        return None
    return _live_session_by_key(session, token_hash(token))


def _live_session_by_key(session: Session, key: str) -> tuple[UserSession, User] | None:
    row = session.get(UserSession, key)
    if row is None or row.ended_at is not None or row.expires_at <= utcnow():
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return row, user


def _full_sign_in(found: tuple[UserSession, User] | None) -> User | None:
    """The account of a live session that opens everything: not one that must still enrol in
    two-factor sign-in, nor a password-only session of an account that uses it."""
    if found is None:
        return None
    row, user = found
    if row.auth_level == AuthLevel.enrolment:
        return None
    if user.uses_two_factor and row.auth_level != AuthLevel.two_factor:
        return None
    return user


def user_for_session_token(session: Session, token: str | None) -> User | None:
    """The account of a full sign-in (``_full_sign_in``)."""
    return _full_sign_in(_live_session(session, token))


def user_for_live_sign_in(session: Session, *, key: str, settings: Settings) -> User | None:
    """The account behind a live document connection, by the hash of its session token
    (``token_hash``): a full sign-in that still counts, as ``user_for_session_token``, and,
    when two-factor sign-in has become required for the account since, not one made with the
    password alone (pages send such a session to set it up; a connection just ends)."""
    user = _full_sign_in(_live_session_by_key(session, key) if key else None)
    if user is None:
        return None
    if not user.uses_two_factor and two_factor.is_required(session, user=user, settings=settings):
        return None
    return user


def enrolling_user_for_session_token(session: Session, token: str | None) -> User | None:
    """The account of a session that may only set up two-factor sign-in (or any full one)."""
    found = _live_session(session, token)
    if found is None:
        return None
    row, user = found
    if user.uses_two_factor and row.auth_level != AuthLevel.two_factor:
        return None
    return user


def require_enrolment(session: Session, token: str | None) -> None:
    """Two-factor sign-in became required while signed in: this session may only enrol."""
    if token:
        session.execute(
            update(UserSession)
            .where(col(UserSession.token_hash) == token_hash(token))
            .values(auth_level=AuthLevel.enrolment)
        )
        session.commit()


def finish_enrolment(session: Session, *, user: User, token: str | None, bus: AccessBus) -> None:
    """After the first code: this session counts as a two-factor sign-in and every other
    session of the account ends (they were signed in with the password alone)."""
    if token:
        session.execute(
            update(UserSession)
            .where(col(UserSession.token_hash) == token_hash(token))
            .values(auth_level=AuthLevel.two_factor)
        )
    end_other_sessions(session, user=user, keep_token=token, bus=bus)


def end_session(session: Session, token: str | None, *, bus: AccessBus) -> None:
    """Sign out here; this sign-in's open documents close too."""
    if not token:
        return
    row = session.get(UserSession, token_hash(token))
    if row is not None and row.ended_at is None:
        row.ended_at = utcnow()
        session.add(row)
        session.commit()
        _close_live_connections(session, user_id=row.user_id, bus=bus)


def _close_live_connections(session: Session, *, user_id: int, bus: AccessBus) -> None:
    """Sign-ins of this account ended: the live connections of its cases are checked again,
    and those that rode on an ended sign-in close (on every node)."""
    case_ids = session.exec(
        select(Participant.case_id).where(Participant.user_id == user_id).distinct()
    ).all()
    for case_id in case_ids:
        bus.publish(case_id)


def active_sessions(session: Session, *, user: User) -> list[UserSession]:
    """The account's sessions that still work, newest first."""
    rows = session.exec(
        select(UserSession)
        .where(UserSession.user_id == user.id, col(UserSession.ended_at).is_(None))
        .order_by(col(UserSession.created_at).desc())
    ).all()
    now = utcnow()
    return [r for r in rows if r.expires_at > now]


def end_other_sessions(
    session: Session, *, user: User, keep_token: str | None, bus: AccessBus
) -> int:
    """Sign out everywhere except here, open documents included; returns how many sessions
    ended."""
    keep = token_hash(keep_token) if keep_token else ""
    result = session.execute(
        update(UserSession)
        .where(
            col(UserSession.user_id) == user.id,
            col(UserSession.ended_at).is_(None),
            col(UserSession.token_hash) != keep,
        )
        .values(ended_at=utcnow())
    )
    session.commit()
    _close_live_connections(session, user_id=user.id, bus=bus)  # type: ignore[arg-type]
    return int(result.rowcount)  # type: ignore[attr-defined]


def change_password(
    session: Session,
    *,
    user: User,
    current: str,
    new: str,
    new_again: str,
    client_ip: str,
    settings: Settings,
    keep_token: str | None,
    bus: AccessBus,
) -> None:
    """Change the password after a (throttled) check of the current one; every other session
    of the account ends, and a mail tells the owner."""
    errors: dict[str, str] = {}
    if not check_password(
        session,
        user=user,
        email=user.email,
        password=current,
        client_ip=client_ip,
        settings=settings,
    ):
        errors["current_password"] = "Dit is niet je huidige wachtwoord."
    elif problem := password_problem(new, email=user.email, name=user.name):
        errors["new_password"] = problem
    elif new != new_again:
        errors["new_password_again"] = "De twee nieuwe wachtwoorden zijn niet hetzelfde."
    elif new == current:
        errors["new_password"] = "Kies een ander wachtwoord dan je huidige."
    if errors:
        raise InvalidInput("Controleer de velden hieronder.", field_errors=errors)
    user.password_hash = hash_password(new)
    session.add(user)
    notifications.mail_security_change(session, user=user, change="wachtwoord", settings=settings)
    session.commit()
    end_other_sessions(session, user=user, keep_token=keep_token, bus=bus)


# --- administration ------------------------------------------------------------------------


def all_accounts(session: Session, *, actor: User) -> list[User]:
    """Every account, by name (administrators only)."""
    require_admin(actor)
    return list(session.exec(select(User).order_by(col(User.name), col(User.email))).all())


def require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise Forbidden("Alleen een beheerder van je organisatie kan dit doen.")


def set_professional(session: Session, *, actor: User, user_id: int, value: bool) -> User:
    """Give or take the professional property (administrators only)."""
    require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Dit account bestaat niet.")
    user.is_professional = value
    session.add(user)
    session.commit()
    return user


def grant(session: Session, *, email: str, professional: bool | None, admin: bool | None) -> User:
    """Set the professional/administrator properties of an existing account (command line)."""
    user = find_user_by_email(session, email)
    if user is None:
        raise NotFound(f"Er is geen account met het e-mailadres {normalise_email(email)}.")
    if professional is not None:
        user.is_professional = professional
    if admin is not None:
        user.is_admin = admin
    session.add(user)
    session.commit()
    return user
