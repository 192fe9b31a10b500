"""Who gets which mail, and when: everyone chooses per kind at once, once a day (the daily
digest) or never. Invitations and mails about the security of an account always go at once.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable

from sqlmodel import Session, col, select

from app.models import DigestItem, NotificationPreference, Participant, Role, User
from app.services import mail_texts, outbox
from app.services.errors import InvalidInput
from app.services.mail_texts import CHOOSABLE, MailKind
from app.services.membership import PROFESSIONAL_ROLES, active_places_in_any_case
from app.settings import Settings


class Choice(enum.StrEnum):
    direct = "direct"
    dagelijks = "dagelijks"
    nooit = "nooit"


CHOICE_LABELS = {
    Choice.direct: "Meteen",
    Choice.dagelijks: "Eén keer per dag, in een overzicht",
    Choice.nooit: "Nooit",
}
DEFAULT_CHOICE = Choice.direct


def link_to(settings: Settings, path: str) -> str:
    """An address in eenplan for a mail (plain text)."""
    return f"{settings.public_url.rstrip('/')}{path}"


def preferences(session: Session, *, user: User) -> dict[MailKind, Choice]:
    """The person's choice for every kind they can choose for."""
    rows = session.exec(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id)
    ).all()
    stored = {row.kind: row.choice for row in rows}
    return {kind: Choice(stored.get(kind, DEFAULT_CHOICE)) for kind in CHOOSABLE}


def _reachable_kinds(user: User, places: list[Participant]) -> set[MailKind]:
    """The choosable kinds that can reach a person with these places, by whom each is sent
    to: a new version and an evaluation round go to everyone in a case; an evaluation coming
    up to the professionals; consent to ask again to the youth and the parents with gezag; a
    share link that stops to the aanspreekpunt. A professional account counts as every
    professional role (it can take one on any day)."""
    roles = {Role(p.role) for p in places}
    if user.is_professional:
        roles |= PROFESSIONAL_ROLES
    kinds = {MailKind.akkoord, MailKind.ronde}
    if roles & PROFESSIONAL_ROLES:
        kinds.add(MailKind.evaluatie)
    if Role.aanspreekpunt in roles:
        kinds.add(MailKind.link)
    if any(p.role == Role.jongere or (p.role == Role.ouder and p.gezag) for p in places):
        kinds.add(MailKind.toestemming)
    return kinds


def choosable(session: Session, *, user: User) -> dict[MailKind, str]:
    """The kinds this person chooses for, each with its label for them, in the order of
    ``CHOOSABLE``. Only kinds that can reach them: a kind for professionals is not offered
    to the family. The youth reads about a birthday as their own ("je")."""
    places = active_places_in_any_case(session, user_id=user.id)  # type: ignore[arg-type]
    reachable = _reachable_kinds(user, places)
    roles = {p.role for p in places}
    own_birthday = Role.jongere in roles and Role.ouder not in roles
    labels = {**CHOOSABLE, **mail_texts.YOUTH_LABELS} if own_birthday else CHOOSABLE
    return {kind: labels[kind] for kind in CHOOSABLE if kind in reachable}


def set_preferences(session: Session, *, user: User, choices: dict[str, str]) -> None:
    """Save the person's choices for the kinds offered to them (``choosable``; each must be
    given, other kinds are left as they were). Commits."""
    errors = {}
    parsed: dict[MailKind, Choice] = {}
    for kind in choosable(session, user=user):
        try:
            parsed[kind] = Choice(choices.get(kind, ""))
        except ValueError:
            errors[str(kind)] = "Kies meteen, één keer per dag of nooit."
    if errors:
        raise InvalidInput("Kies bij elke soort mail wat je wilt.", field_errors=errors)
    for kind, choice in parsed.items():
        row = session.get(NotificationPreference, (user.id, str(kind)))
        if row is None:
            row = NotificationPreference(user_id=user.id, kind=kind, choice=choice)  # type: ignore[arg-type]
        row.choice = choice
        session.add(row)
    session.commit()


def notify(
    session: Session,
    *,
    user: User,
    kind: MailKind,
    line: str,
    path: str,
    settings: Settings,
    case_id: str | None = None,
) -> Choice:
    """Tell ``user`` that something waits (``line``, with a link to ``path``) the way they
    chose for ``kind``: a mail now, a line in tomorrow's digest, or nothing. A step: the
    caller commits."""
    if not user.is_active:
        return Choice.nooit
    choice = preferences(session, user=user)[kind]
    if choice == Choice.direct:
        outbox.add_mail(
            session,
            to_email=user.email,
            mail=mail_texts.notice(
                kind,
                name=user.name,
                line=line,
                link=link_to(settings, path),
                settings_link=link_to(settings, "/account/meldingen"),
            ),
            kind=kind,
            user_id=user.id,
            case_id=case_id,
        )
    elif choice == Choice.dagelijks:
        session.add(
            DigestItem(
                user_id=user.id,  # type: ignore[arg-type]
                case_id=case_id,
                kind=kind,
                line=line[:500],
                link=link_to(settings, path)[:500],
            )
        )
    return choice


def notify_all_but(
    session: Session,
    *,
    users: Iterable[User],
    actor: User,
    kind: MailKind,
    line: str,
    path: str,
    settings: Settings,
    case_id: str,
) -> None:
    """``notify`` each of ``users`` except ``actor``, who did what the mail is about. A step:
    the caller commits."""
    for user in users:
        if user.id != actor.id:
            notify(
                session,
                user=user,
                kind=kind,
                line=line,
                path=path,
                settings=settings,
                case_id=case_id,
            )


def send_digests(session: Session, *, settings: Settings) -> int:
    """One mail per person with everything collected for their digest since the last one.
    A step (the scheduler commits it together with the day it ran for). Returns how many."""
    items = session.exec(
        select(DigestItem).where(col(DigestItem.digest_id).is_(None)).order_by(col(DigestItem.id))
    ).all()
    per_user: dict[int, list[DigestItem]] = defaultdict(list)
    for item in items:
        per_user[item.user_id].append(item)
    sent = 0
    for user_id, waiting in per_user.items():
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            continue
        message = outbox.add_mail(
            session,
            to_email=user.email,
            mail=mail_texts.digest(
                name=user.name,
                lines=[(item.line, item.link) for item in waiting],
                settings_link=link_to(settings, "/account/meldingen"),
            ),
            kind=MailKind.overzicht,
            user_id=user_id,
        )
        session.flush()
        for item in waiting:
            item.digest_id = message.id
            session.add(item)
        sent += 1
    return sent


def mail_security_change(session: Session, *, user: User, change: str, settings: Settings) -> None:
    """'Your sign-in changed': always sent at once (a step: the caller commits)."""
    outbox.add_mail(
        session,
        to_email=user.email,
        mail=mail_texts.sign_in_changed(
            name=user.name, change=change, reset_link=link_to(settings, "/wachtwoord-vergeten")
        ),
        kind=MailKind.beveiliging,
        user_id=user.id,
    )
