"""Two real server processes on one PostgreSQL database with Redis, both running the
scheduled work every second: a reminder and the mails of the outbox reach the SMTP server
once each.

Under ``CI=true`` missing PostgreSQL or Redis URLs are an error, not a skip.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.db import make_engine
from app.dutch import DUTCH_TIME
from app.migrate import upgrade_to_head
from app.services import versions
from app.settings import Settings
from tests.conftest import POSTGRES_URL
from tests.crdt.live import LiveServer, family_with_document, free_port, running
from tests.smtp_sink import smtp_sink

REDIS_URL = os.environ.get("EENPLAN_TEST_REDIS_URL")
if os.environ.get("CI") == "true" and not (REDIS_URL and POSTGRES_URL):
    raise RuntimeError("CI must set EENPLAN_TEST_POSTGRES_URL and EENPLAN_TEST_REDIS_URL")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (POSTGRES_URL and REDIS_URL), reason="needs PostgreSQL and Redis"),
]

EVALUATION = "De evaluatie van een plan komt eraan"
AKKOORD = "Een nieuwe versie wacht op jouw akkoord"


@pytest.fixture
def fresh_postgres() -> str:
    """A database of its own: both server processes and the test share it."""
    assert POSTGRES_URL is not None
    name = f"eenplan_sched_{os.getpid()}_{int(time.time())}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    upgrade_to_head(url)
    yield url  # type: ignore[misc]
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_reminder_is_sent_once_by_two_nodes(fresh_postgres: str, tmp_path: Path) -> None:
    family, _doc = family_with_document(fresh_postgres)
    in_a_week = datetime.now(DUTCH_TIME).date() + timedelta(days=7)
    with smtp_sink() as sink:
        env = {
            "EENPLAN_REDIS_URL": REDIS_URL or "",
            "EENPLAN_SMTP_URL": sink.url,
            "EENPLAN_SCHEDULE_SECONDS": "1",
            "EENPLAN_DAILY_HOUR": "0",
        }
        one = LiveServer(fresh_postgres, tmp_path / "one.log", port=free_port(), extra_env=env)
        two = LiveServer(fresh_postgres, tmp_path / "two.log", port=free_port(), extra_env=env)
        # The version exists before the nodes start: both find the day's reminder due at
        # their first tick, and both find its akkoord mails waiting in the outbox.
        engine = make_engine(fresh_postgres)
        with Session(engine, expire_on_commit=False) as db:
            versions.adopt(
                db,
                actor=family.user("aanspreekpunt"),
                case_id=family.case.id,
                title="Zorgoverleg",
                next_evaluation_date=in_a_week.isoformat(),
                states={},
                settings=Settings(public_url=one.origin, database_url=fresh_postgres),
            )
        engine.dispose()
        with running(one), running(two):
            wij = family.user("aanspreekpunt").email
            youth = family.user("jongere").email
            reminder = sink.wait_for(wij, EVALUATION, seconds=30)[0]
            sink.wait_for(youth, AKKOORD, seconds=30)
            time.sleep(4)  # several more ticks on both nodes
        assert len(sink.mails_to(wij, EVALUATION)) == 1
        assert len(sink.mails_to(youth, AKKOORD)) == 1
        assert sink.mails_to(youth, EVALUATION) == []  # the family gets no evaluation mail
    assert "over 7 dagen" in reminder.text
    for log in (one.log_path, two.log_path):
        assert "Traceback" not in log.read_text(), log.read_text()
