"""Two-factor sign-in with a TOTP app (RFC 6238) and single-use recovery codes.

Who must use it: an account counts as every role it has in a case where it is active, and a
professional account also as ``aanspreekpunt`` and ``specialist`` (the roles it can take on
any day); when one of those roles is in ``EENPLAN_REQUIRE_2FA_FOR``, two-factor sign-in is
required. Administrators always need it. Anyone else may turn it on for themselves.

A code is accepted once: the time step of the newest accepted code is stored, and a code of
that step or an older one is refused (compare-and-set, so two parallel requests with the same
code cannot both pass). Code tries are throttled like passwords.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time

import pyotp
import segno
from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from app import sealing
from app.models import RecoveryCode, User, utcnow
from app.services import notifications, throttle
from app.services.errors import InvalidInput
from app.services.membership import PROFESSIONAL_ROLES, active_places_in_any_case
from app.settings import Settings

ISSUER = "eenplan"
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: easy to copy
_RECOVERY_LENGTH = 12  # about 59 bits
STEP_SECONDS = 30
CODE_WRONG = "Deze code klopt niet. Kijk in je app en typ de code van nu. Een herstelcode kan ook."
CODE_USED = "Deze code is net al gebruikt. Wacht op de volgende code in je app."
CODE_CANNOT_BE_CHECKED = (
    "Je code kan nu niet worden gecontroleerd. Typ een van je herstelcodes; daarna stel je "
    "inloggen in twee stappen opnieuw in. Geen herstelcode meer? Vraag de beheerder om hulp."
)
SEAL_PURPOSE = "totp"
log = logging.getLogger(__name__)
TOO_MANY_CODES = (
    "Je hebt te vaak een verkeerde code geprobeerd. Wacht {wait} en probeer het dan opnieuw."
)


def roles_of(session: Session, *, user: User) -> set[str]:
    """The roles an account counts as for two-factor sign-in (see the module docstring)."""
    places = active_places_in_any_case(session, user_id=user.id)  # type: ignore[arg-type]
    roles = {str(p.role) for p in places}
    if user.is_professional:
        roles |= {str(role) for role in PROFESSIONAL_ROLES}
    return roles


def is_required(session: Session, *, user: User, settings: Settings) -> bool:
    """True when this account must sign in with a second factor."""
    if user.is_admin:
        return True
    return bool(roles_of(session, user=user) & settings.two_factor_roles)


def _seal(user: User, secret: str, settings: Settings) -> str:
    return sealing.seal(
        secret, secret=settings.secret_key, purpose=SEAL_PURPOSE, owner=f"user:{user.id}"
    )


def secret_of(session: Session, *, user: User, settings: Settings) -> str | None:
    """The account's base32 TOTP secret, opened. Sealed under an earlier secret key, it is
    sealed again under the current one. None (and an error in the log) when no configured
    key opens it: then only a recovery code signs this account in."""
    sealed = user.totp_secret_sealed
    if sealed is None:
        return None
    try:
        opened = sealing.open_sealed(
            sealed, secrets=settings.secret_keys, purpose=SEAL_PURPOSE, owner=f"user:{user.id}"
        )
    except sealing.CannotOpen:
        log.error(
            "the two-factor secret of account %s does not open with EENPLAN_SECRET_KEY or "
            "EENPLAN_PREVIOUS_SECRET_KEYS; was the secret key changed?",
            user.id,
        )
        return None
    if not opened.sealed_with_current:
        resealed = _seal(user, opened.value, settings)
        session.execute(
            update(User)
            .where(col(User.id) == user.id, col(User.totp_secret_sealed) == sealed)
            .values(totp_secret_sealed=resealed)
        )
        session.commit()
        user.totp_secret_sealed = resealed
    return opened.value


def _step(at: float | None = None) -> int:
    return int((time.time() if at is None else at) // STEP_SECONDS)


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, interval=STEP_SECONDS).generate_otp(step)


def current_code(secret: str) -> str:
    """The code an app shows now (for ``eenplan totp-code`` in development and for tests)."""
    return code_at(secret, _step())


def provisioning_uri(user: User, secret: str) -> str:
    """The ``otpauth://`` address an app reads: in the QR code, and as a link to tap on the
    phone that holds the app."""
    return pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(
        name=user.email, issuer_name=ISSUER
    )


def qr_svg(user: User, secret: str) -> str:
    """The QR code of the provisioning URI as inline SVG (made on the server, no script)."""
    qr = segno.make(provisioning_uri(user, secret), error="m")
    return str(
        qr.svg_inline(
            scale=5,
            border=4,
            title="QR-code om eenplan aan je app toe te voegen",
            svgclass="qr-code",
            lineclass=None,
        )
    )


def _normalise(code: str) -> str:
    """Lower case, without spaces or dashes; only ASCII letters and digits count ("²" or "٣"
    are not a digit of a code)."""
    return "".join(ch for ch in code.lower() if ch.isascii() and ch.isalnum())


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _accept_totp(session: Session, *, user: User, secret: str, code: str) -> bool | None:
    """True: accepted. None: right code but already used. False: wrong."""
    now = _step()
    matched = [
        step for step in (now - 1, now, now + 1) if hmac.compare_digest(code_at(secret, step), code)
    ]
    if not matched:
        return False
    step = matched[-1]
    taken = session.execute(
        update(User)
        .where(
            col(User.id) == user.id,
            or_(col(User.totp_last_step).is_(None), col(User.totp_last_step) < step),
        )
        .values(totp_last_step=step)
    )
    session.commit()
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    user.totp_last_step = step
    return True


def _accept_recovery_code(session: Session, *, user: User, code: str) -> bool:
    used = session.execute(
        update(RecoveryCode)
        .where(
            col(RecoveryCode.user_id) == user.id,
            col(RecoveryCode.code_hash) == _recovery_hash(code),
            col(RecoveryCode.used_at).is_(None),
        )
        .values(used_at=utcnow())
    )
    session.commit()
    return bool(used.rowcount == 1)  # type: ignore[attr-defined]


def check_code(session: Session, *, user: User, code: str, settings: Settings) -> None:
    """Accept a TOTP code or an unused recovery code of an enrolled account, once.
    Raises TooManyAttempts or InvalidInput (Dutch)."""
    limits = throttle.code_limits(user_id=user.id, settings=settings)  # type: ignore[arg-type]
    throttle.take_try(session, limits, settings=settings, message=TOO_MANY_CODES)
    normalised = _normalise(code)
    if normalised.isdigit() and len(normalised) == 6:
        secret = secret_of(session, user=user, settings=settings)
        if secret is None:
            raise InvalidInput(
                CODE_CANNOT_BE_CHECKED, field_errors={"code": CODE_CANNOT_BE_CHECKED}
            )
        accepted = _accept_totp(session, user=user, secret=secret, code=normalised)
        if accepted is None:
            raise InvalidInput(CODE_USED, field_errors={"code": CODE_USED})
    else:
        accepted = _accept_recovery_code(session, user=user, code=normalised)
        if accepted and secret_of(session, user=user, settings=settings) is None:
            _set_up_again(session, user=user, settings=settings)
    if not accepted:
        raise InvalidInput(CODE_WRONG, field_errors={"code": CODE_WRONG})
    throttle.give_back(session, limits, settings=settings)


def _set_up_again(session: Session, *, user: User, settings: Settings) -> None:
    """The secret no longer opens (the secret key changed without the earlier one listed):
    after a recovery code, two-factor sign-in is turned off so the owner sets it up anew (the
    next page leads there when it is required), and a mail says so."""
    user.totp_secret_sealed = None
    user.totp_enabled_at = None
    session.add(user)
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    notifications.mail_security_change(
        session, user=user, change="tweestaps_opnieuw", settings=settings
    )
    session.commit()


def remaining_recovery_codes(session: Session, *, user: User) -> int:
    rows = session.exec(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, col(RecoveryCode.used_at).is_(None)
        )
    ).all()
    return len(rows)


def pending_secret(session: Session, *, user: User, settings: Settings) -> str:
    """The secret to show at enrolment; made once, so reloading the page keeps the QR code
    (a new one when the kept one no longer opens: nothing used it yet)."""
    if user.uses_two_factor:
        raise InvalidInput("Tweestapsverificatie staat al aan.")
    secret = secret_of(session, user=user, settings=settings)
    if secret is None:
        secret = pyotp.random_base32()
        user.totp_secret_sealed = _seal(user, secret, settings)
        session.add(user)
        session.commit()
    return secret


def _new_recovery_codes(session: Session, *, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4)))
        session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(raw)))  # type: ignore[arg-type]
    return codes


def confirm_enrolment(session: Session, *, user: User, code: str, settings: Settings) -> list[str]:
    """Turn two-factor sign-in on with the first code from the app; returns the ten recovery
    codes (shown once; only their hashes are kept). A mail tells the owner."""
    if user.uses_two_factor:
        raise InvalidInput("Tweestapsverificatie staat al aan.")
    secret = pending_secret(session, user=user, settings=settings)
    limits = throttle.code_limits(user_id=user.id, settings=settings)  # type: ignore[arg-type]
    throttle.take_try(session, limits, settings=settings, message=TOO_MANY_CODES)
    normalised = _normalise(code)
    accepted = (
        _accept_totp(session, user=user, secret=secret, code=normalised)
        if normalised.isdigit() and len(normalised) == 6
        else False
    )
    if not accepted:
        message = (
            CODE_USED
            if accepted is None
            else ("Deze code klopt niet. Typ de code van zes cijfers die je app nu laat zien.")
        )
        raise InvalidInput(message, field_errors={"code": message})
    throttle.give_back(session, limits, settings=settings)
    user.totp_enabled_at = utcnow()
    session.add(user)
    codes = _new_recovery_codes(session, user=user)
    notifications.mail_security_change(
        session, user=user, change="tweestaps_aan", settings=settings
    )
    session.commit()
    return codes


def replace_recovery_codes(session: Session, *, user: User, settings: Settings) -> list[str]:
    """Ten new recovery codes; the old ones stop working, and a mail tells the owner."""
    codes = _new_recovery_codes(session, user=user)
    notifications.mail_security_change(session, user=user, change="herstelcodes", settings=settings)
    session.commit()
    return codes


def enrol_without_confirmation(session: Session, *, user: User, settings: Settings) -> str:
    """Turn two-factor sign-in on with a new secret at once (demo accounts and tests, where
    the secret is handed over directly). Returns the base32 secret."""
    secret = pyotp.random_base32()
    user.totp_secret_sealed = _seal(user, secret, settings)
    user.totp_enabled_at = utcnow()
    session.add(user)
    session.commit()
    return secret
