"""Changing who takes part in a case: adding people, invitations, role changes and removal.

Questions about who takes part now (and role labels) are answered by ``membership.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.models import (
    Case,
    Invitation,
    Participant,
    Role,
    User,
    utcnow,
)
from app.security import new_token, token_hash
from app.services import accounts, audit, documents, mail_texts, outbox
from app.services.access_bus import AccessBus
from app.services.errors import Conflict, Forbidden, Gone, InvalidInput, NotFound
from app.services.membership import (
    ROLE_LABELS,
    active_places,
    active_with_role,
    find_active_participant,
    require_aanspreekpunt,
)
from app.settings import Settings

ALREADY_TAKES_PART = "Je doet al mee in deze casus."
INVITATION_GONE = (
    "Deze uitnodiging werkt niet meer. Misschien is hij al gebruikt of verlopen. "
    "Vraag het vaste aanspreekpunt om een nieuwe uitnodiging."
)


def add_participant(
    session: Session,
    *,
    case: Case,
    user: User,
    role: Role,
    gezag: bool = False,
    organisation: str | None = None,
) -> Participant:
    """Add a person to a case with their own story document, in the caller's transaction (a
    step: the caller commits)."""
    participant = Participant(
        case_id=case.id,
        user_id=user.id,  # type: ignore[arg-type]
        role=role,
        gezag=gezag if role == Role.ouder else False,
        organisation=organisation or None,
    )
    session.add(participant)
    session.flush()
    documents.add_story_document(session, participant=participant)
    return participant


def _parse_role(value: str) -> Role | None:
    try:
        return Role(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    link: str
    valid_days: int  # the link works this many days, once


def invite(
    session: Session,
    *,
    actor: User,
    case_id: str,
    email: str,
    role: str,
    gezag: bool,
    organisation: str,
    settings: Settings,
) -> NewInvitation:
    """Invite someone by e-mail and role (only the aanspreekpunt); the invitation is mailed
    (through the outbox) and its link is also shown to copy."""
    require_aanspreekpunt(session, user=actor, case_id=case_id)
    case = session.get(Case, case_id)
    assert case is not None
    errors: dict[str, str] = {}
    if problem := accounts.email_problem(email):
        errors["email"] = problem
    parsed_role = _parse_role(role)
    if parsed_role is None:
        errors["role"] = "Kies een rol."
    if len(organisation.strip()) > 120:
        errors["organisation"] = "De organisatie mag hoogstens 120 tekens lang zijn."
    if (
        not errors
        and parsed_role == Role.jongere
        and _has_active_role(session, case_id, Role.jongere)
    ):
        errors["role"] = "Er is al een jongere in deze casus."
    if not errors:
        existing = accounts.find_user_by_email(session, email)
        if existing is not None and find_active_participant(
            session,
            user_id=existing.id,  # type: ignore[arg-type]
            case_id=case_id,
        ):
            errors["email"] = "Deze persoon doet al mee in deze casus."
    if errors:
        raise InvalidInput("Controleer de velden hieronder.", field_errors=errors)
    assert parsed_role is not None
    # a new invitation for the same address replaces the old link
    for earlier in pending_invitations(session, case_id=case_id):
        if earlier.email == accounts.normalise_email(email):
            earlier.revoked_at = utcnow()
            session.add(earlier)
    token = new_token()
    invitation = Invitation(
        case_id=case_id,
        email=accounts.normalise_email(email),
        role=parsed_role,
        gezag=gezag and parsed_role == Role.ouder,
        organisation=organisation.strip() or None,
        token_hash=token_hash(token),
        created_by_id=actor.id,  # type: ignore[arg-type]
        expires_at=utcnow() + timedelta(days=settings.invitation_days),
    )
    session.add(invitation)
    link = f"{settings.public_url.rstrip('/')}/uitnodiging/{token}"
    outbox.add_mail(
        session,
        to_email=invitation.email,
        mail=mail_texts.invitation(
            inviter=actor.name,
            family=case.label,
            role=ROLE_LABELS[parsed_role],
            link=link,
            valid_days=settings.invitation_days,
            sign_in_link=f"{settings.public_url.rstrip('/')}/login",
        ),
        kind=mail_texts.MailKind.uitnodiging,
        case_id=case_id,
    )
    session.commit()
    session.refresh(invitation)
    return NewInvitation(invitation, link, settings.invitation_days)


def _has_active_role(session: Session, case_id: str, role: Role) -> bool:
    return bool(active_with_role(session, case_id=case_id, role=role))


def open_invitation(session: Session, *, token: str) -> Invitation:
    """The invitation behind a link, if it can still be used; Gone (410) otherwise."""
    invitation = session.exec(
        select(Invitation).where(Invitation.token_hash == token_hash(token))
    ).first()
    if invitation is None:
        raise NotFound("Deze uitnodiging bestaat niet. Kijk of je de hele link hebt gekopieerd.")
    if (
        invitation.accepted_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= utcnow()
    ):
        raise Gone(INVITATION_GONE)
    return invitation


def invitation_is_for(invitation: Invitation, user: User) -> bool:
    """An invitation belongs to the address it was sent to, and to no other account."""
    return accounts.normalise_email(user.email) == invitation.email


def accept_invitation(
    session: Session,
    *,
    token: str,
    signed_in: User | None,
    name: str,
    password: str,
    client_ip: str,
    settings: Settings,
) -> User:
    """Accept an invitation, only for the invited address: with the signed-in account of that
    address, an existing account of it (throttled password check; an account with two-factor
    sign-in signs in first), or a new account for it. Anyone else gets Forbidden.

    An invitation is used once, also when it is sent from several tabs at the same moment: the
    first to claim it adds the place; the others get Conflict (409, "you already take part")
    when that made them a participant, Gone (410) otherwise."""
    invitation = open_invitation(session, token=token)
    case = session.get(Case, invitation.case_id)
    assert case is not None
    user = _existing_invitee(
        session,
        invitation=invitation,
        signed_in=signed_in,
        password=password,
        client_ip=client_ip,
        settings=settings,
    )
    if user is not None and _takes_part(session, user, case.id):
        raise Conflict(ALREADY_TAKES_PART)
    if not _claim(session, invitation):
        session.rollback()
        if user is not None and _takes_part(session, user, case.id):
            raise Conflict(ALREADY_TAKES_PART)
        raise Gone(INVITATION_GONE)
    try:
        if user is None:
            user = accounts.add_user(session, email=invitation.email, name=name, password=password)
        add_participant(
            session,
            case=case,
            user=user,
            role=invitation.role,
            gezag=invitation.gezag,
            organisation=invitation.organisation,
        )
        invitation.accepted_by_id = user.id
        session.add(invitation)
        session.commit()
    except InvalidInput:
        session.rollback()  # the invitation stays unused
        raise
    except IntegrityError:
        # the database allows one active place per person per case: they got one just now
        session.rollback()
        if user is not None and _takes_part(session, user, case.id):
            raise Conflict(ALREADY_TAKES_PART) from None
        raise
    return user


def _existing_invitee(
    session: Session,
    *,
    invitation: Invitation,
    signed_in: User | None,
    password: str,
    client_ip: str,
    settings: Settings,
) -> User | None:
    """The account that accepts ``invitation``; None when a new account is to be made."""
    if signed_in is not None:
        if not invitation_is_for(invitation, signed_in):
            raise Forbidden(wrong_account_message(invitation, signed_in))
        return signed_in
    existing = accounts.find_user_by_email(session, invitation.email)
    if existing is None:
        return None
    if existing.uses_two_factor:
        raise Forbidden(
            "Log eerst in met je account. Open daarna deze link opnieuw om mee te doen."
        )
    if not accounts.check_password(
        session,
        user=existing,
        email=existing.email,
        password=password,
        client_ip=client_ip,
        settings=settings,
    ):
        raise InvalidInput(
            "Controleer de velden hieronder.",
            field_errors={"password": "Dit wachtwoord klopt niet bij je bestaande account."},
        )
    return existing


def _claim(session: Session, invitation: Invitation) -> bool:
    """Mark ``invitation`` used if it still can be used, in the caller's transaction. One
    conditional UPDATE: of two requests at the same moment the second waits for the first to
    end (a row lock on PostgreSQL, the write lock on SQLite) and then finds it used."""
    now = utcnow()
    claimed = session.execute(
        update(Invitation)
        .where(
            col(Invitation.id) == invitation.id,
            col(Invitation.accepted_at).is_(None),
            col(Invitation.revoked_at).is_(None),
            col(Invitation.expires_at) > now,
        )
        .values(accepted_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    invitation.accepted_at = now
    return True


def _takes_part(session: Session, user: User, case_id: str) -> bool:
    return find_active_participant(session, user_id=user.id, case_id=case_id) is not None  # type: ignore[arg-type]


def case_already_joined(session: Session, *, token: str, user: User) -> str | None:
    """The case of the invitation behind ``token`` when ``user`` already takes part in it (a
    used link opened again, or a second tab that lost to the first): the place to send them."""
    invitation = session.exec(
        select(Invitation).where(Invitation.token_hash == token_hash(token))
    ).first()
    if invitation is None or not _takes_part(session, user, invitation.case_id):
        return None
    return invitation.case_id


def wrong_account_message(invitation: Invitation, user: User) -> str:
    return (
        f"Deze uitnodiging is voor {invitation.email}. Je bent nu ingelogd als {user.email}. "
        "Daarom kun je met deze uitnodiging niet meedoen. Log uit en open de link opnieuw. "
        "Of vraag het vaste aanspreekpunt om een uitnodiging voor jouw e-mailadres."
    )


def pending_invitations(session: Session, *, case_id: str) -> list[Invitation]:
    now = utcnow()
    rows = session.exec(
        select(Invitation)
        .where(Invitation.case_id == case_id)
        .order_by(col(Invitation.created_at).desc())
    ).all()
    return [
        i for i in rows if i.accepted_at is None and i.revoked_at is None and i.expires_at > now
    ]


def invitation_to_revoke(
    session: Session, *, actor: User, case_id: str, invitation_id: int
) -> Invitation:
    """The invitation the aanspreekpunt is about to revoke (for the question 'are you sure?')."""
    require_aanspreekpunt(session, user=actor, case_id=case_id)
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.case_id != case_id:
        raise NotFound()
    return invitation


def revoke_invitation(session: Session, *, actor: User, case_id: str, invitation_id: int) -> None:
    require_aanspreekpunt(session, user=actor, case_id=case_id)
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.case_id != case_id:
        raise NotFound()
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        session.add(invitation)
        session.commit()


def _case_participant(session: Session, case_id: str, participant_id: int) -> Participant:
    participant = session.get(Participant, participant_id)
    if participant is None or participant.case_id != case_id or not participant.is_active:
        raise NotFound("Deze persoon doet niet (meer) mee in deze casus.")
    return participant


def _remaining_aanspreekpunten(session: Session, case_id: str, without_user_id: int) -> int:
    """How many other people are vast aanspreekpunt here (people, not places)."""
    return len(
        {
            p.user_id
            for p in active_with_role(session, case_id=case_id, role=Role.aanspreekpunt)
            if p.user_id != without_user_id
        }
    )


def change_participant(
    session: Session,
    *,
    actor: User,
    case_id: str,
    participant_id: int,
    role: str,
    gezag: bool,
    safety_closed: bool,
    bus: AccessBus,
) -> Participant:
    """Change someone's role, gezag or veiligheid access. Commits, then publishes the case on
    ``bus``: open editors follow at once."""
    me = require_aanspreekpunt(session, user=actor, case_id=case_id)
    participant = _case_participant(session, case_id, participant_id)
    parsed_role = _parse_role(role)
    if parsed_role is None:
        raise InvalidInput(
            "Controleer de velden hieronder.", field_errors={"role": "Kies een rol."}
        )
    if (
        participant.role == Role.aanspreekpunt
        and parsed_role != Role.aanspreekpunt
        and _remaining_aanspreekpunten(session, case_id, participant.user_id) == 0
    ):
        raise InvalidInput(
            "Een casus heeft altijd een vast aanspreekpunt.",
            field_errors={"role": "Geef eerst iemand anders de rol vast aanspreekpunt."},
        )
    if (
        parsed_role == Role.jongere
        and participant.role != Role.jongere
        and _has_active_role(session, case_id, Role.jongere)
    ):
        raise InvalidInput(
            "Controleer de velden hieronder.",
            field_errors={"role": "Er is al een jongere in deze casus."},
        )
    participant.role = parsed_role
    participant.gezag = gezag and parsed_role == Role.ouder
    participant.safety_closed = safety_closed
    session.add(participant)
    _log_change(
        session,
        me=me,
        actor=actor,
        participant=participant,
        detail=(
            f"Rol: {parsed_role}, gezag: {'ja' if participant.gezag else 'nee'}, "
            f"veiligheid: {'dicht' if safety_closed else 'open'}"
        ),
    )
    session.commit()
    bus.publish(case_id)
    return participant


def member_to_remove(session: Session, *, actor: User, case_id: str, participant_id: int) -> User:
    """The account of the participant the aanspreekpunt is about to remove (for the question
    'are you sure?'); NotFound/Forbidden as ``remove_participant`` would answer."""
    require_aanspreekpunt(session, user=actor, case_id=case_id)
    participant = _case_participant(session, case_id, participant_id)
    user = session.get(User, participant.user_id)
    if user is None:
        raise NotFound()
    return user


def remove_participant(
    session: Session, *, actor: User, case_id: str, participant_id: int, bus: AccessBus
) -> None:
    """End someone's participation now. Commits, then publishes the case on ``bus``: their
    open editors close at once."""
    me = require_aanspreekpunt(session, user=actor, case_id=case_id)
    participant = _case_participant(session, case_id, participant_id)
    if (
        participant.role == Role.aanspreekpunt
        and _remaining_aanspreekpunten(session, case_id, participant.user_id) == 0
    ):
        raise InvalidInput(
            "Een casus heeft altijd een vast aanspreekpunt. Geef eerst iemand anders die rol."
        )
    now = utcnow()
    # every active place of this person here, not only this one: none may keep access
    for place in active_places(session, user_id=participant.user_id, case_id=case_id):
        place.active_to = now
        session.add(place)
    _log_change(
        session, me=me, actor=actor, participant=participant, detail="Verwijderd uit de casus"
    )
    session.commit()
    bus.publish(case_id)


def _log_change(
    session: Session, *, me: Participant, actor: User, participant: Participant, detail: str
) -> None:
    audit.add_for_participant(
        session,
        participant=me,
        user=actor,
        action=audit.Action.participant_changed,
        subject=f"participant:{participant.id}",
        detail=detail,
    )
