"""Throttling of password and code checks, shared by every node through the database.

Each try is counted *before* the password or code is checked, with a compare-and-set on the
row of its key, so thirty parallel requests cannot slip past a limit of five. After the free
tries every further try first waits, and the wait doubles with each miss (at most
``login_window_seconds``): an attacker is slowed down, while the owner, who signs in from
another address, is not locked out, and even at the same address gets in once the wait is
over. A try that succeeds is given back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from app.models import LoginThrottle, utcnow
from app.services.errors import TooManyAttempts
from app.settings import Settings

# An account over all addresses may be tried this many times more than from one address:
# enough that a few attackers cannot slow the owner down, few enough to stop a spread attack.
ACCOUNT_FACTOR = 10
# Compare-and-set retries under contention; a request that loses every round is refused,
# which errs on the side of fewer password checks.
_ROUNDS = 20


@dataclass(frozen=True)
class Limit:
    """A key to count tries under and how many tries it gets before waits begin."""

    key: str
    free_tries: int
    reset_on_success: bool = False


def password_limits(*, email: str, client_ip: str, settings: Settings) -> list[Limit]:
    """Keys for a password check: the account from this address (most specific first, so a
    refused try is not counted against the account or the address), the address, the account."""
    return [
        Limit(f"pw:{email}|{client_ip}", settings.login_max_attempts, reset_on_success=True),
        Limit(f"ip:{client_ip}", settings.login_max_attempts_per_ip),
        Limit(f"account:{email}", settings.login_max_attempts * ACCOUNT_FACTOR),
    ]


def code_limits(*, user_id: int, settings: Settings) -> list[Limit]:
    """Keys for a two-factor code check: whoever tries has the password already."""
    return [Limit(f"code:{user_id}", settings.login_max_attempts, reset_on_success=True)]


def _wait(*, tries: int, free_tries: int, settings: Settings) -> timedelta | None:
    if tries < free_tries:
        return None
    doublings = min(tries - free_tries, 30)
    seconds = min(settings.login_delay_seconds * 2**doublings, settings.login_window_seconds)
    return timedelta(seconds=seconds)


def _ensure_row(session: Session, key: str, now: datetime) -> None:
    dialect = session.get_bind().dialect.name
    values = {"key": key, "tries": 0, "wait_until": None, "last_try_at": now}
    if dialect == "postgresql":
        session.execute(postgresql.insert(LoginThrottle).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(LoginThrottle).values(values).on_conflict_do_nothing())
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        session.execute(insert(LoginThrottle).values(values))
    session.commit()


def _reserve(session: Session, limit: Limit, settings: Settings) -> int | None:
    """Count one try under ``limit``; None when counted, else the seconds to wait."""
    window = timedelta(seconds=settings.login_window_seconds)
    for _ in range(_ROUNDS):
        now = utcnow()
        row = session.execute(
            select(
                col(LoginThrottle.tries),
                col(LoginThrottle.wait_until),
                col(LoginThrottle.last_try_at),
            ).where(col(LoginThrottle.key) == limit.key)
        ).first()
        if row is None:
            _ensure_row(session, limit.key, now)
            continue
        stored_tries, wait_until, last_try_at = row
        if wait_until is not None and wait_until > now:
            return max(1, math.ceil((wait_until - now).total_seconds()))
        quiet_since = max(last_try_at, wait_until) if wait_until else last_try_at
        tries = 0 if now - quiet_since > window else stored_tries
        wait = _wait(tries=tries + 1, free_tries=limit.free_tries, settings=settings)
        counted = session.execute(
            update(LoginThrottle)
            .where(
                col(LoginThrottle.key) == limit.key,
                col(LoginThrottle.tries) == stored_tries,
                col(LoginThrottle.last_try_at) == last_try_at,
            )
            .values(tries=tries + 1, wait_until=now + wait if wait else None, last_try_at=now)
        )
        session.commit()
        if counted.rowcount == 1:  # type: ignore[attr-defined]
            return None
    return 1


def take_try(session: Session, limits: list[Limit], *, settings: Settings, message: str) -> None:
    """Count a try under every limit, in order, before anything is checked. Raises
    TooManyAttempts (with the seconds to wait) at the first limit that must wait first."""
    for limit in limits:
        wait = _reserve(session, limit, settings)
        if wait is not None:
            raise TooManyAttempts(message.format(wait=wait_in_dutch(wait)), retry_after=wait)


def give_back(session: Session, limits: list[Limit], *, settings: Settings) -> None:
    """The try succeeded: it no longer counts (and the owner's own key starts afresh).
    Rows that have been quiet long enough to be forgotten anyway are removed here too."""
    forgotten = utcnow() - 2 * timedelta(seconds=settings.login_window_seconds)
    session.execute(
        delete(LoginThrottle).where(
            col(LoginThrottle.last_try_at) < forgotten,
            or_(col(LoginThrottle.wait_until).is_(None), col(LoginThrottle.wait_until) < forgotten),
        )
    )
    for limit in limits:
        if limit.reset_on_success:
            statement = (
                update(LoginThrottle)
                .where(col(LoginThrottle.key) == limit.key)
                .values(tries=0, wait_until=None)
            )
        else:
            statement = (
                update(LoginThrottle)
                .where(col(LoginThrottle.key) == limit.key, col(LoginThrottle.tries) > 0)
                .values(
                    tries=LoginThrottle.tries - 1,  # type: ignore[operator]
                    wait_until=case(
                        (col(LoginThrottle.tries) - 1 < limit.free_tries, None),
                        else_=col(LoginThrottle.wait_until),
                    ),
                )
            )
        session.execute(statement)
    session.commit()


def wait_in_dutch(seconds: int) -> str:
    """'30 seconden', '1 minuut', '4 minuten'."""
    if seconds < 60:
        return f"{seconds} seconde" if seconds == 1 else f"{seconds} seconden"
    minutes = math.ceil(seconds / 60)
    return "1 minuut" if minutes == 1 else f"{minutes} minuten"
