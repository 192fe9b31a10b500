"""Invitations: the aanspreekpunt sends and revokes them on the participants page; the
invited person opens the link and joins, with a new or an existing account."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.models import AuthLevel, Case, Invitation, User
from app.services import accounts, participants, two_factor
from app.services.errors import (
    Conflict,
    Forbidden,
    Gone,
    InvalidInput,
    ServiceError,
    TooManyAttempts,
)
from app.web import confirm
from app.web import participants as participants_page
from app.web.auth import set_session_cookie
from app.web.deps import ClientIP, CurrentUser, OptionalUser, RowInPath, SessionDep, SettingsDep
from app.web.templating import render

router = APIRouter()


@router.post("/cases/{case_id}/uitnodigingen", response_class=HTMLResponse)
def invite(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    case_id: str,
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    gezag: Annotated[bool, Form()] = False,
    organisation: Annotated[str, Form()] = "",
) -> Response:
    form = {"email": email, "role": role, "gezag": gezag, "organisation": organisation}
    try:
        created = participants.invite(
            session,
            actor=user,
            case_id=case_id,
            email=email,
            role=role,
            gezag=gezag,
            organisation=organisation,
            settings=settings,
        )
    except InvalidInput as exc:
        context = participants_page.page_context(session, user, case_id)
        context.update(form=form, errors=exc.field_errors, error=exc.message)
        return render(
            request,
            "pages/participants.html",
            context,
            status_code=422,
            fragment="_partials/invite.html",
        )
    context = participants_page.page_context(session, user, case_id)
    context["new_invitation"] = created
    context["mailed"] = settings.smtp_url is not None
    return render(
        request,
        "pages/participants.html",
        context,
        status_code=201,
        fragment="_partials/invite.html",
    )


@router.post("/cases/{case_id}/uitnodigingen/{invitation_id}/intrekken")
def revoke_invitation(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    case_id: str,
    invitation_id: RowInPath,
    bevestigd: Annotated[str, Form()] = "",
) -> Response:
    if not confirm.is_confirmed(bevestigd):
        invitation = participants.invitation_to_revoke(
            session, actor=user, case_id=case_id, invitation_id=invitation_id
        )
        return confirm.ask(
            request,
            user=user,
            confirmation=confirm.Confirmation(
                title="Uitnodiging intrekken?",
                question=(
                    f"Weet je zeker dat je de uitnodiging voor {invitation.email} wilt intrekken?"
                ),
                consequence=(
                    "De link in de uitnodiging werkt dan niet meer. Je kunt daarna een nieuwe "
                    "uitnodiging maken."
                ),
                button="Ja, intrekken",
                action=f"/cases/{case_id}/uitnodigingen/{invitation_id}/intrekken",
                back=f"/cases/{case_id}/deelnemers",
            ),
        )
    participants.revoke_invitation(
        session, actor=user, case_id=case_id, invitation_id=invitation_id
    )
    return RedirectResponse(f"/cases/{case_id}/deelnemers", status_code=303)


@router.get("/uitnodiging/{token}", response_class=HTMLResponse)
def invitation_page(
    request: Request, session: SessionDep, user: OptionalUser, token: str
) -> Response:
    try:
        invitation = participants.open_invitation(session, token=token)
    except ServiceError as exc:
        return _used_invitation(request, session, user, token, exc)
    return render(
        request, "pages/invitation.html", _invitation_context(session, invitation, user, token)
    )


def _used_invitation(
    request: Request, session: Session, user: User | None, token: str, exc: ServiceError
) -> Response:
    """A link that no longer works: someone who already takes part in its case goes there;
    anyone else gets the page that says so."""
    if user is not None:
        case_id = participants.case_already_joined(session, token=token, user=user)
        if case_id is not None:
            return RedirectResponse(f"/cases/{case_id}", status_code=303)
    return render(
        request,
        "pages/invitation_gone.html",
        {"user": user, "message": exc.message},
        status_code=exc.status_code,
    )


def _invitation_context(
    session: Session, invitation: Invitation, user: User | None, token: str
) -> dict[str, Any]:
    case = session.get(Case, invitation.case_id)
    account = accounts.find_user_by_email(session, invitation.email)
    return {
        "user": user,
        "invitation": invitation,
        "case": case,
        "token": token,
        "has_account": account is not None,
        # an account with two-factor sign-in joins after signing in, never with a password alone
        "sign_in_first": account is not None and account.uses_two_factor,
        "wrong_account": user is not None and not participants.invitation_is_for(invitation, user),
        "form": {},
        "errors": {},
    }


@router.post("/uitnodiging/{token}", response_class=HTMLResponse)
def accept_invitation(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    client_ip: ClientIP,
    user: OptionalUser,
    token: str,
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    password_again: Annotated[str, Form()] = "",
) -> Response:
    try:
        invitation = participants.open_invitation(session, token=token)
    except ServiceError as exc:
        return _used_invitation(request, session, user, token, exc)
    context = _invitation_context(session, invitation, user, token)
    context["form"] = {"name": name}
    if user is None and not context["has_account"] and password != password_again:
        context["errors"] = {"password_again": "De twee wachtwoorden zijn niet hetzelfde."}
        return render(request, "pages/invitation.html", context, status_code=422)
    case_id = invitation.case_id
    try:
        accepted_by = participants.accept_invitation(
            session,
            token=token,
            signed_in=user,
            name=name,
            password=password,
            client_ip=client_ip,
            settings=settings,
        )
    except TooManyAttempts as exc:
        context["error"] = exc.message
        refused: Response = render(request, "pages/invitation.html", context, status_code=429)
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    except InvalidInput as exc:
        context["errors"] = exc.field_errors
        context["error"] = exc.message
        return render(request, "pages/invitation.html", context, status_code=422)
    except Forbidden as exc:
        context["error"] = exc.message
        return render(request, "pages/invitation.html", context, status_code=403)
    except Conflict:
        if user is None:
            raise
        # already in this case, e.g. a second tab that sent the form at the same moment
        return RedirectResponse(f"/cases/{case_id}", status_code=303)
    except Gone as exc:  # used or revoked while this request was on its way
        return _used_invitation(request, session, user, token, exc)
    response = RedirectResponse(f"/cases/{case_id}?welkom=1", status_code=303)
    if user is None:
        must_enrol = two_factor.is_required(session, user=accepted_by, settings=settings)
        session_token = accounts.start_session(
            session,
            user=accepted_by,
            settings=settings,
            level=AuthLevel.enrolment if must_enrol else AuthLevel.password,
            user_agent=request.headers.get("user-agent", ""),
        )
        set_session_cookie(response, session_token, settings)
        if must_enrol:
            response.headers["location"] = "/account/tweestapsverificatie"
    return response
