"""The daily reminders: an evaluation coming up (to the professionals), consent to ask again
after a birthday (to whoever decides now), a share link that stops soon (to the aanspreekpunt).

The scheduler calls ``run_reminders`` once a day, for every day since the last run, so a day
the server was down is made up for. Each reminder has a key naming what and for whom
(``SentReminder``): made once, however often the days are looked at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select

from app.models import Case, Role, SentReminder, Share, User, Version
from app.services import consent, notifications
from app.services.ages import band_birthdays_between
from app.services.mail_texts import MailKind, notice_line
from app.services.membership import PROFESSIONAL_ROLES, active_members, active_with_role
from app.services.shares import why_share_stopped
from app.settings import Settings

EVALUATION_DAYS_AHEAD = 7
LINK_DAYS_AHEAD = 7


@dataclass
class ReminderRun:
    made: int = 0
    # Cases where a birthday changed the age band: their live connections are checked again.
    band_changed: list[str] = field(default_factory=list)


def _first_time(session: Session, key: str) -> bool:
    """Claim a reminder key; False when it was made before."""
    if session.get(SentReminder, key) is not None:
        return False
    session.add(SentReminder(key=key[:200]))
    return True


def _remind(
    session: Session,
    run: ReminderRun,
    *,
    key: str,
    user: User,
    kind: MailKind,
    line: str,
    path: str,
    case_id: str,
    settings: Settings,
) -> None:
    if _first_time(session, f"{key}:{user.id}"):
        notifications.notify(
            session, user=user, kind=kind, line=line, path=path, settings=settings, case_id=case_id
        )
        run.made += 1


def _latest_versions(session: Session) -> list[Version]:
    rows = session.exec(select(Version).order_by(col(Version.case_id), col(Version.number))).all()
    latest: dict[str, Version] = {}
    for version in rows:
        latest[version.case_id] = version
    return list(latest.values())


def _evaluations(session: Session, run: ReminderRun, *, today: date, settings: Settings) -> None:
    for version in _latest_versions(session):
        when = version.next_evaluation_date
        if when is None or not 0 <= (when - today).days <= EVALUATION_DAYS_AHEAD:
            continue
        case = session.get(Case, version.case_id)
        assert case is not None
        line = notice_line(
            MailKind.evaluatie, family=case.label, when=when, days=(when - today).days
        )
        for member in active_members(session, case_id=case.id):
            if member.participant.role in PROFESSIONAL_ROLES:
                _remind(
                    session,
                    run,
                    key=f"evaluatie:{case.id}:{when.isoformat()}",
                    user=member.user,
                    kind=MailKind.evaluatie,
                    line=line,
                    path=f"/cases/{case.id}/versies/{version.number}",
                    case_id=case.id,
                    settings=settings,
                )


def _birthdays(
    session: Session, run: ReminderRun, *, first: date, today: date, settings: Settings
) -> None:
    for case in session.exec(select(Case)).all():
        turned = band_birthdays_between(case.youth_birth_date, first, today)
        if not turned:
            continue
        run.band_changed.append(case.id)
        years = turned[-1][0]
        lines = {
            to_youth: notice_line(MailKind.toestemming, family=case.label, to_youth=to_youth)
            for to_youth in (False, True)
        }
        people = {m.participant.id: m.user for m in active_members(session, case_id=case.id)}
        for audience in consent.AUDIENCES:
            state = consent.consent_state(session, case.id, audience, today)
            for need in state.requirements:
                user = people.get(need.participant_id)
                if need.status == "ask_again" and user is not None:
                    _remind(
                        session,
                        run,
                        key=f"toestemming:{case.id}:{years}",
                        user=user,
                        kind=MailKind.toestemming,
                        line=lines[need.role == Role.jongere],
                        path=f"/cases/{case.id}/toestemming",
                        case_id=case.id,
                        settings=settings,
                    )


def _links(session: Session, run: ReminderRun, *, today: date, settings: Settings) -> None:
    start = datetime.combine(today, time(), tzinfo=UTC)
    horizon = start + timedelta(days=LINK_DAYS_AHEAD + 1)
    shares = session.exec(
        select(Share).where(
            col(Share.revoked_at).is_(None), Share.expires_at < horizon, Share.expires_at > start
        )
    ).all()
    for share in shares:
        if why_share_stopped(session, share) is not None:
            continue
        case = session.get(Case, share.case_id)
        assert case is not None
        line = notice_line(MailKind.link, family=case.label, when=share.expires_at.date())
        for place in active_with_role(session, case_id=case.id, role=Role.aanspreekpunt):
            user = session.get(User, place.user_id)
            if user is not None:
                _remind(
                    session,
                    run,
                    key=f"link:{share.id}",
                    user=user,
                    kind=MailKind.link,
                    line=line,
                    path=f"/cases/{case.id}/delen",
                    case_id=case.id,
                    settings=settings,
                )


def run_reminders(session: Session, *, first: date, today: date, settings: Settings) -> ReminderRun:
    """Make every reminder due from ``first`` through ``today`` (a missed day included). A step:
    the scheduler commits it together with the day it ran for."""
    run = ReminderRun()
    _evaluations(session, run, today=today, settings=settings)
    _birthdays(session, run, first=first, today=today, settings=settings)
    _links(session, run, today=today, settings=settings)
    return run
