"""Fixtures: a migrated database per test (SQLite, and PostgreSQL when configured), the app,
an in-process client that behaves like a browser on our own origin, and people in a case.

PostgreSQL: set ``EENPLAN_TEST_POSTGRES_URL`` (``.ci/run`` does). Under ``CI=true`` a missing
URL is an error, not a skip.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401
from app import sealing
from app.db import make_engine
from app.main import create_app
from app.migrate import upgrade_to_head
from app.models import AuthLevel, Case, Participant, Role, User
from app.services import accounts, cases, membership, participants, two_factor
from app.settings import Settings

# Every app and command the tests start (in process, live, in the browser, the CLI) uses this
# secret key, so the helpers here open the two-factor secrets they seal and the access log
# verifies: the settings fixture names it, and the environment carries it to the rest.
TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-1234"
os.environ["EENPLAN_SECRET_KEY"] = TEST_SECRET_KEY
os.environ.pop("EENPLAN_PREVIOUS_SECRET_KEYS", None)
ORIGIN = "http://testserver"
PASSWORD = "een-goed-wachtwoord"

POSTGRES_URL = os.environ.get("EENPLAN_TEST_POSTGRES_URL")


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2 with tiny costs in tests: same code path, a hundred times faster."""
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    import app.security as security

    original = security._password_hash
    security._password_hash = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024),))
    yield
    security._password_hash = original


def _database_params() -> list[object]:
    params: list[object] = ["sqlite"]
    marks = []
    if not POSTGRES_URL:
        if os.environ.get("CI") == "true":
            raise RuntimeError("CI must set EENPLAN_TEST_POSTGRES_URL so PostgreSQL tests run")
        marks.append(pytest.mark.skip(reason="EENPLAN_TEST_POSTGRES_URL is not set"))
    params.append(pytest.param("postgresql", marks=marks))
    return params


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_to_head(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    assert POSTGRES_URL is not None
    name = f"eenplan_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    upgrade_to_head(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=_database_params())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        target = tmp_path / "eenplan.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("postgres_database")
    _truncate_postgres(url)
    return url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        secret_key=TEST_SECRET_KEY,
        public_url=ORIGIN,
    )


@pytest.fixture
def app(settings: Settings):  # type: ignore[no-untyped-def]
    return create_app(settings)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, headers={"Origin": ORIGIN}, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def db(settings: Settings) -> Iterator[Session]:
    engine = make_engine(settings.database_url)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


@dataclass
class Family:
    """A case with one person per role, each with an account (password ``PASSWORD``)."""

    case: Case
    people: dict[str, User]
    places: dict[str, Participant]

    def user(self, key: str) -> User:
        return self.people[key]


def make_user(
    db: Session,
    name: str,
    email: str | None = None,
    *,
    professional: bool = False,
    admin: bool = False,
    totp: bool = False,
) -> User:
    """An account with password ``PASSWORD``; ``totp`` turns two-factor sign-in on at once.
    Otherwise someone who must use it sets it up at their first sign-in (``sign_in`` does
    that the way a person would)."""
    email = email or f"{name.lower().replace(' ', '.')}.{uuid.uuid4().hex[:6]}@voorbeeld.nl"
    user = accounts.create_user(
        db,
        email=email,
        name=name,
        password=PASSWORD,
        is_professional=professional,
        is_admin=admin,
    )
    if totp:
        two_factor.enrol_without_confirmation(
            db, user=user, settings=Settings(secret_key=TEST_SECRET_KEY)
        )
    return user


# Recovery codes that ``sign_in`` saw when it set up two-factor sign-in, per (database, user):
# a person who signs in again before the next code shows up may type one of these instead.
_RECOVERY_CODES: dict[tuple[str, int], list[str]] = {}


def next_totp_code(engine: Engine, user_id: int) -> str:
    """A code the app would show that the server has not accepted yet. A code counts once,
    and the server accepts the previous, current and next time step, so this picks the oldest
    unused one of those (the previous one only while the current step has seconds left: it
    stops counting when the step ends, maybe before the server reads it); when all are used
    it gives a saved recovery code, or waits for the next step."""
    with engine.connect() as conn:
        sealed, last_step = conn.execute(
            select(User.totp_secret_sealed, User.totp_last_step).where(User.id == user_id)  # type: ignore[call-overload]
        ).one()
    secret = open_totp_secret(user_id, sealed)
    moment = time.time()
    now = int(moment // two_factor.STEP_SECONDS)
    time_left = (now + 1) * two_factor.STEP_SECONDS - moment
    oldest = now - 1 if time_left > 10 else now
    step = max(oldest, (last_step if last_step is not None else oldest - 1) + 1)
    if step > now + 1:
        saved = _RECOVERY_CODES.get((str(engine.url), user_id))
        if saved:
            return saved.pop()
        time.sleep((step - 1) * two_factor.STEP_SECONDS - time.time() + 0.05)
    return two_factor.code_at(secret, step)


@pytest.fixture
def family(db: Session) -> Family:
    """aanspreekpunt, jongere (14), moeder (gezag), vader (no gezag), specialist, oma (netwerk)
    and a stranger who is in no case."""
    wij = make_user(db, "Wendy WIJ", professional=True)
    case = cases.create_case(
        db, actor=wij, label="Gezin Test", youth_birth_date=_years_ago(14).isoformat()
    )
    people = {"aanspreekpunt": wij}
    places = {"aanspreekpunt": membership.active_participant(db, user=wij, case_id=case.id)}
    for key, role, gezag in [
        ("jongere", Role.jongere, False),
        ("moeder", Role.ouder, True),
        ("vader", Role.ouder, False),
        ("specialist", Role.specialist, False),
        ("oma", Role.netwerk, False),
    ]:
        user = make_user(db, key.capitalize(), professional=role == Role.specialist)
        places[key] = participants.add_participant(db, case=case, user=user, role=role, gezag=gezag)
        db.commit()
        people[key] = user
    people["vreemde"] = make_user(db, "Vreemde")
    return Family(case=case, people=people, places=places)


def live_session_token(db: Session, user: User, settings: Settings) -> str:
    """A session token that opens documents, as after a full sign-in: an account that must use
    two-factor sign-in is set up for it first (the server refuses sockets otherwise)."""
    if not user.uses_two_factor and two_factor.is_required(db, user=user, settings=settings):
        two_factor.enrol_without_confirmation(db, user=user, settings=settings)
    level = AuthLevel.two_factor if user.uses_two_factor else AuthLevel.password
    return accounts.start_session(db, user=user, settings=settings, level=level)


def _years_ago(years: int) -> date:
    today = date.today()
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def open_totp_secret(user_id: int, sealed: str | None) -> str:
    """The base32 secret that an app would hold, opened as the server opens it."""
    assert sealed is not None, "this account does not use two-factor sign-in"
    owner = f"user:{user_id}"
    purpose = two_factor.SEAL_PURPOSE
    return sealing.open_sealed(
        sealed, secrets=[TEST_SECRET_KEY], purpose=purpose, owner=owner
    ).value


def _totp_secret(engine: Engine, user_id: int) -> str:
    with engine.connect() as conn:
        sealed = conn.execute(select(User.totp_secret_sealed).where(User.id == user_id)).scalar()  # type: ignore[call-overload]
    return open_totp_secret(user_id, sealed)


def sign_in(client: TestClient, user: User) -> TestClient:
    """Sign in as a person would: e-mail and password; then the code from the app when the
    account uses two-factor sign-in, or, when it must and has not yet, set it up first (scan
    the secret, type the first code)."""
    engine = client.app.state.engine  # type: ignore[attr-defined]
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    if response.status_code == 401:  # the page asks for the code
        pending = re.search(r'name="pending" value="([^"]+)"', response.text)
        assert pending is not None, response.text
        response = client.post(
            "/login",
            data={"pending": pending.group(1), "code": next_totp_code(engine, user.id)},  # type: ignore[arg-type]
        )
    assert response.status_code == 303, response.text
    if response.headers["location"] == "/account/tweestapsverificatie":
        assert client.get("/account/tweestapsverificatie").status_code == 200
        code = two_factor.current_code(_totp_secret(engine, user.id))  # type: ignore[arg-type]
        enrolled = client.post("/account/tweestapsverificatie", data={"code": code})
        assert enrolled.status_code == 200, enrolled.text
        _RECOVERY_CODES[(str(engine.url), user.id)] = re.findall(  # type: ignore[index]
            r"<code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code>", enrolled.text
        )
    return client


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop running in the main
    thread, which would break tests that start their own loop with ``asyncio.run``."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
