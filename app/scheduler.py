"""Scheduled work inside the app process: delivering the outbox, the daily reminders, the
daily digest and clean-up.

Every node runs this; each piece of work is done by one node at a time. A daily job takes a
PostgreSQL advisory lock (``pg_try_advisory_xact_lock``) for its transaction, reads the last
day it was done (``ScheduledRun``), does the work for every day since (so a day the server was
down is made up for), and records the day in the same transaction: done once, and after a
restart it knows where it was. SQLite is one node, where the transaction is enough. Mail
delivery locks each outbox row instead (``app/services/outbox.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.dutch import DUTCH_TIME
from app.mail_transport import transport_for
from app.models import ScheduledRun, utcnow
from app.services import notifications, outbox, password_reset, reminders
from app.services.access_bus import AccessBus
from app.services.outbox import Send
from app.settings import Settings

log = logging.getLogger(__name__)

DELIVERY_SECONDS = 1.0
# A server that was down longer than this makes up for this many days only.
LONGEST_MAKE_UP = timedelta(days=31)
RESET_MAIL_LIFETIME = timedelta(minutes=password_reset.VALID_MINUTES)

# A daily job: (session, first day not yet done, today) → cases whose access may have changed.
DailyWork = Callable[[Session, date, date], list[str]]


def _lock_key(job: str) -> int:
    """A stable signed 64-bit number per job, for PostgreSQL's advisory locks."""
    return int.from_bytes(
        hashlib.sha256(f"eenplan:{job}".encode()).digest()[:8], "big", signed=True
    )


def take_job_lock(session: Session, job: str) -> bool:
    """Hold the job's lock until this transaction ends; False when another node holds it."""
    if session.get_bind().dialect.name != "postgresql":
        return True  # SQLite: one node
    taken = session.execute(
        text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _lock_key(job)}
    ).scalar()
    return bool(taken)


class Scheduler:
    """Runs the outbox delivery and the scheduled jobs of one node until stopped."""

    def __init__(
        self, engine: Engine, settings: Settings, bus: AccessBus, *, send: Send | None
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.bus = bus
        self.send = send
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    # --- the jobs ---------------------------------------------------------------------------

    def _reminders(self, session: Session, first: date, today: date) -> list[str]:
        run = reminders.run_reminders(session, first=first, today=today, settings=self.settings)
        return run.band_changed

    def _digest(self, session: Session, _first: date, _today: date) -> list[str]:
        notifications.send_digests(session, settings=self.settings)
        return []

    def daily_jobs(self) -> list[tuple[str, DailyWork]]:
        # Reminders first: whoever chose the digest for them finds them in today's digest.
        return [("herinneringen", self._reminders), ("overzicht", self._digest)]

    def run_daily(self, job: str, work: DailyWork, *, now: datetime | None = None) -> bool:
        """Do ``job`` for every day it has not been done, once over all nodes; True when this
        node did it now."""
        local = (now or utcnow()).astimezone(DUTCH_TIME)
        if local.hour < self.settings.daily_hour:
            return False
        today = local.date()
        with Session(self.engine, expire_on_commit=False) as session:
            if not take_job_lock(session, job):
                session.rollback()
                return False
            row = session.get(ScheduledRun, job)
            if row is not None and row.done_through >= today:
                session.rollback()
                return False
            first = row.done_through + timedelta(days=1) if row is not None else today
            first = max(first, today - LONGEST_MAKE_UP)
            changed = work(session, first, today)
            row = row or ScheduledRun(job=job, done_through=today)
            row.done_through = today
            row.finished_at = utcnow()
            session.add(row)
            session.commit()
        for case_id in changed:
            self.bus.publish(case_id)  # a birthday can end access: live connections follow
        return True

    def clean_up(self) -> None:
        """Forget expired reset links and wipe reset links from unsent mails (any node; the
        lock keeps two from doing it at once)."""
        with Session(self.engine) as session:
            if not take_job_lock(session, "opruimen"):
                session.rollback()
                return
            password_reset.forget_expired(session)
            outbox.scrub_old_secrets(session, older_than=RESET_MAIL_LIFETIME)
            session.commit()

    def run_due_jobs(self, *, now: datetime | None = None) -> list[str]:
        """One tick: every job that is due; returns the names of the daily jobs done."""
        done = [job for job, work in self.daily_jobs() if self.run_daily(job, work, now=now)]
        self.clean_up()
        return done

    def deliver(self) -> int:
        """Deliver every due mail (no-op without a way to deliver)."""
        if self.send is None:
            return 0
        return outbox.deliver_due(self.engine, self.send)

    # --- the loops --------------------------------------------------------------------------

    async def start(self) -> None:
        self._stop.clear()
        self._tasks = [
            asyncio.create_task(self._every(self.settings.schedule_seconds, self.run_due_jobs)),
        ]
        if self.send is not None:
            self._tasks.append(asyncio.create_task(self._every(DELIVERY_SECONDS, self.deliver)))

    async def stop(self) -> None:
        """Let the work in hand finish (it holds database transactions), then stop."""
        self._stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _every(self, seconds: float, work: Callable[[], object]) -> None:
        while not self._stop.is_set():
            try:
                await asyncio.to_thread(work)
            except Exception:  # the database may be away for a moment: try again next tick
                log.exception("scheduled work %s failed", getattr(work, "__name__", work))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=seconds)


def make_scheduler(engine: Engine, settings: Settings, bus: AccessBus) -> Scheduler:
    """The scheduler of this node, delivering mail the way the settings say."""
    return Scheduler(engine, settings, bus, send=transport_for(settings))
