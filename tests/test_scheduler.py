"""Scheduled work: each daily job is done once a day, a missed day is made up for, it knows
where it was after a restart, it waits for its hour, and on PostgreSQL two nodes racing do it
once. Birthdays that change the age band make live connections check their rights again."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.db import make_engine
from app.dutch import DUTCH_TIME
from app.models import (
    MailStatus,
    OutboxMessage,
    PasswordReset,
    ScheduledRun,
    utcnow,
)
from app.scheduler import Scheduler
from app.services import consent, password_reset, versions
from app.services.access_bus import AccessBus
from app.services.ages import birthday_in_year
from app.services.mail_texts import MailKind
from app.settings import Settings
from tests.conftest import POSTGRES_URL, Family

DAY = date(2026, 6, 15)


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=DUTCH_TIME)


@pytest.fixture
def engine(settings: Settings) -> Engine:
    made = make_engine(settings.database_url)
    yield made  # type: ignore[misc]
    made.dispose()


def scheduler(engine: Engine, settings: Settings, bus: AccessBus | None = None) -> Scheduler:
    return Scheduler(engine, settings, bus or AccessBus(), send=None)


def mails(db: Session, kind: MailKind) -> list[OutboxMessage]:
    db.expire_all()
    return list(db.exec(select(OutboxMessage).where(OutboxMessage.kind == kind)).all())


def adopt_with_evaluation(db: Session, family: Family, settings: Settings, when: date) -> None:
    versions.adopt(
        db,
        actor=family.user("aanspreekpunt"),
        case_id=family.case.id,
        title="Overleg",
        next_evaluation_date=when.isoformat(),
        states={},
        settings=settings,
        adopted_at=datetime.combine(DAY, time(9), tzinfo=UTC),
    )


def test_a_reminder_is_made_once_however_often_the_day_is_run(
    engine: Engine, db: Session, family: Family, settings: Settings
) -> None:
    adopt_with_evaluation(db, family, settings, DAY + timedelta(days=7))
    work = scheduler(engine, settings)
    assert work.run_due_jobs(now=noon(DAY)) == ["herinneringen", "overzicht"]
    assert work.run_due_jobs(now=noon(DAY)) == []
    assert work.run_due_jobs(now=noon(DAY) + timedelta(hours=5)) == []
    to = sorted(m.to_email for m in mails(db, MailKind.evaluatie))
    professionals = [family.user("aanspreekpunt").email, family.user("specialist").email]
    assert to == sorted(professionals)
    # the next day the same evaluation is not mailed again
    work.run_due_jobs(now=noon(DAY + timedelta(days=1)))
    assert len(mails(db, MailKind.evaluatie)) == 2


def test_nothing_runs_before_the_daily_hour(
    engine: Engine, db: Session, family: Family, settings: Settings
) -> None:
    adopt_with_evaluation(db, family, settings, DAY + timedelta(days=3))
    work = scheduler(engine, settings.model_copy(update={"daily_hour": 7}))
    early = datetime.combine(DAY, time(6, 59), tzinfo=DUTCH_TIME)
    assert work.run_due_jobs(now=early) == []
    assert mails(db, MailKind.evaluatie) == []
    assert work.run_due_jobs(now=early + timedelta(minutes=1)) == ["herinneringen", "overzicht"]
    assert len(mails(db, MailKind.evaluatie)) == 2


def test_days_missed_while_the_server_was_down_are_made_up_for(
    engine: Engine, db: Session, family: Family, settings: Settings
) -> None:
    turned_16 = DAY - timedelta(days=3)  # while the server was down
    family.case.youth_birth_date = birthday_in_year(turned_16, -16)
    db.add(family.case)
    for who in ("jongere", "moeder"):
        consent.decide(
            db, user=family.user(who), case_id=family.case.id, audience="school",
            decision="given", bus=AccessBus(), on=turned_16 - timedelta(days=10),
        )  # fmt: skip
    db.add(ScheduledRun(job="herinneringen", done_through=DAY - timedelta(days=5)))
    db.commit()
    scheduler(engine, settings).run_daily(
        "herinneringen", scheduler(engine, settings)._reminders, now=noon(DAY)
    )
    asked = mails(db, MailKind.toestemming)
    assert [m.to_email for m in asked] == [family.user("jongere").email]
    db.expire_all()
    assert db.get(ScheduledRun, "herinneringen").done_through == DAY  # type: ignore[union-attr]


def test_after_a_restart_the_scheduler_knows_the_day_was_done(
    engine: Engine, db: Session, family: Family, settings: Settings
) -> None:
    adopt_with_evaluation(db, family, settings, DAY + timedelta(days=2))
    assert scheduler(engine, settings).run_due_jobs(now=noon(DAY))
    restarted = make_engine(settings.database_url)  # a new process: nothing in memory
    try:
        assert scheduler(restarted, settings).run_due_jobs(now=noon(DAY)) == []
    finally:
        restarted.dispose()
    assert len(mails(db, MailKind.evaluatie)) == 2


def test_a_birthday_that_changes_the_band_tells_the_live_connections(
    engine: Engine, db: Session, family: Family, settings: Settings
) -> None:
    family.case.youth_birth_date = birthday_in_year(DAY, -18)
    db.add(family.case)
    db.commit()
    told: list[str] = []
    bus = AccessBus()
    bus.subscribe(told.append)
    scheduler(engine, settings, bus).run_due_jobs(now=noon(DAY - timedelta(days=1)))
    assert told == []
    scheduler(engine, settings, bus).run_due_jobs(now=noon(DAY))
    assert told == [family.case.id]


def test_clean_up_forgets_old_reset_links_and_wipes_unsent_reset_mails(
    engine: Engine, db: Session, family: Family, settings: Settings
) -> None:
    password_reset.request_reset(
        db, email=family.user("moeder").email, client_ip="127.0.0.1", settings=settings
    )
    for row in db.exec(select(PasswordReset)).all():
        row.expires_at = utcnow() - timedelta(days=2)
        db.add(row)
    for row in db.exec(select(OutboxMessage)).all():
        row.created_at = utcnow() - timedelta(hours=2)
        db.add(row)
    db.commit()
    scheduler(engine, settings).clean_up()
    db.expire_all()
    assert db.exec(select(PasswordReset)).all() == []
    (mail,) = mails(db, MailKind.wachtwoord)
    assert "/wachtwoord-herstellen/" not in mail.body and mail.status == MailStatus.pending


@pytest.mark.parametrize(
    "database_url",
    [
        pytest.param(
            "postgresql", marks=pytest.mark.skipif(not POSTGRES_URL, reason="no PostgreSQL")
        )
    ],
    indirect=True,
)
def test_two_nodes_racing_for_the_same_day_do_it_once(
    db: Session, family: Family, settings: Settings
) -> None:
    adopt_with_evaluation(db, family, settings, DAY + timedelta(days=1))
    engines = [make_engine(settings.database_url) for _ in range(4)]
    start = threading.Barrier(len(engines))
    done: list[list[str]] = []

    def node(engine: Engine) -> None:
        start.wait()
        done.append(scheduler(engine, settings).run_due_jobs(now=noon(DAY)))

    threads = [threading.Thread(target=node, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for engine in engines:
        engine.dispose()
    assert sum(len(jobs) for jobs in done) == 2  # each daily job by one node
    assert len(mails(db, MailKind.evaluatie)) == 2
