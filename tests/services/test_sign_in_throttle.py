"""Sign-in throttling holds when many attempts arrive at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session

import app.security as security
from app.db import make_engine
from app.services import accounts
from app.services.errors import InvalidInput, TooManyAttempts
from app.settings import Settings
from tests.conftest import Family


@pytest.fixture
def counted_password_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts every password hash check; each takes 30 ms, like a real Argon2 check does."""
    checks: list[int] = []
    lock = threading.Lock()
    original: Callable[..., bool] = security._password_hash.verify

    def verify(password: str, hashed: str) -> bool:
        with lock:
            checks.append(1)
        time.sleep(0.03)
        return original(password, hashed)

    monkeypatch.setattr(security._password_hash, "verify", verify)
    return checks


def _attempt(settings: Settings, email: str, password: str, ip: str) -> str:
    engine = make_engine(settings.database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            accounts.authenticate(
                session, email=email, password=password, client_ip=ip, settings=settings
            )
        return "ok"
    except TooManyAttempts:
        return "throttled"
    except InvalidInput:
        return "wrong"
    finally:
        engine.dispose()


def test_thirty_parallel_wrong_passwords_check_the_password_at_most_five_times(
    family: Family, settings: Settings, counted_password_checks: list[int]
) -> None:
    email = family.user("moeder").email
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(
            pool.map(
                lambda _: _attempt(settings, email, "fout-fout-fout", "198.51.100.7"), range(30)
            )
        )
    assert len(counted_password_checks) <= settings.login_max_attempts
    assert results.count("wrong") <= settings.login_max_attempts
    assert results.count("throttled") >= 30 - settings.login_max_attempts


def test_parallel_attempts_on_many_accounts_from_one_address_stay_within_its_limit(
    family: Family, settings: Settings, counted_password_checks: list[int]
) -> None:
    settings = settings.model_copy(update={"login_max_attempts_per_ip": 6})
    emails = [f"iemand{n}@voorbeeld.nl" for n in range(24)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda e: _attempt(settings, e, "fout-fout-fout", "198.51.100.8"), emails))
    assert len(counted_password_checks) <= 6
