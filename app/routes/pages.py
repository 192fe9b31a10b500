"""HTML pages: sign in, home ("Mijn plan" / "Mijn gezinnen"), cases, participants, invitations.

Routes stay thin: they read the form, call a service and render. Full pages work without
JavaScript; htmx requests get the fragment of the same template.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.deps import (
    AccessBusDep,
    ClientIP,
    CurrentUser,
    OptionalUser,
    SessionDep,
    SettingsDep,
)
from app.models import AuthLevel, Case, Invitation, Role, User
from app.security import SESSION_COOKIE
from app.services import (
    accounts,
    audit,
    cases,
    documents,
    membership,
    participants,
    two_factor,
    versions,
)
from app.services.errors import Forbidden, InvalidInput, ServiceError, TooManyAttempts
from app.settings import Settings
from app.templating import render

router = APIRouter()

SECTION_TITLES = {
    "analyse": ("Gedeelde analyse", "Wat gaat goed, wat zijn de zorgen en hoe hangt het samen?"),
    "plan": ("Plan van aanpak", "De doelen en wie wat doet."),
    "perspectief": ("Toekomstperspectief", "Hoe het gaat op de vijf levensgebieden."),
    "veiligheid": ("Veiligheid", "Zorgen over veiligheid en de afspraken die we maken."),
}


def _safe_next(target: str | None) -> str:
    """Only follow a local path after sign-in (no open redirect)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


# --- sign in / out -------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, user: OptionalUser, next: str = "/") -> Response:
    if user is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(
        request, "pages/login.html", {"user": None, "next": _safe_next(next), "email": ""}
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    client_ip: ClientIP,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
    pending: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Sign in with e-mail and password, plus ``code`` (TOTP or recovery code) for accounts
    with two-factor sign-in. Without a valid code no session is given: the page asks for it,
    carrying a signed note that the password was right (``pending``)."""
    context: dict[str, Any] = {"user": None, "next": _safe_next(next), "email": email}
    try:
        user, level = accounts.sign_in(
            session,
            email=email,
            password=password,
            code=code,
            pending=pending,
            client_ip=client_ip,
            settings=settings,
        )
    except accounts.CodeNeeded as needed:
        context.update(pending=needed.pending, email=needed.user.email)
        return render(request, "pages/login.html", context, status_code=401)
    except TooManyAttempts as exc:
        if pending and not password:
            context["pending"] = pending
        response: Response = render(
            request, "pages/login.html", {**context, "error": exc.message}, status_code=429
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except InvalidInput as exc:
        if pending and not password and exc.field_errors.get("code"):
            context["pending"] = pending  # the password was right: ask for the code again
        return render(
            request, "pages/login.html", {**context, "error": exc.message}, status_code=400
        )
    token = accounts.start_session(
        session,
        user=user,
        settings=settings,
        level=level,
        user_agent=request.headers.get("user-agent", ""),
    )
    target = "/account/tweestapsverificatie" if level == AuthLevel.enrolment else next
    response = RedirectResponse(_safe_next(target), status_code=303)
    _set_session_cookie(response, token, settings)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    accounts.end_session(session, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login?uitgelogd=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- home ----------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    mine = cases.cases_of(session, user=user)
    family_roles = {Role.jongere, Role.ouder, Role.netwerk}
    as_family = [c for c in mine if c.participant.role in family_roles]
    as_professional = [c for c in mine if c.participant.role not in family_roles]
    return render(
        request,
        "pages/home.html",
        {
            "user": user,
            "nav": "home",
            "as_family": as_family,
            "as_professional": as_professional,
            "is_youth": any(c.participant.role == Role.jongere for c in mine),
        },
    )


# --- cases ---------------------------------------------------------------------------------


@router.get("/cases/new", response_class=HTMLResponse)
def new_case_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    if not cases.may_create_cases(session, user=user):
        raise Forbidden(
            "Alleen hulpverleners kunnen een gezin toevoegen. Vraag je vaste aanspreekpunt."
        )
    return render(request, "pages/case_new.html", {"user": user, "form": {}, "errors": {}})


@router.post("/cases", response_class=HTMLResponse)
def create_case(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    label: Annotated[str, Form()] = "",
    youth_birth_date: Annotated[str, Form()] = "",
    organisation: Annotated[str, Form()] = "",
) -> Response:
    form = {"label": label, "youth_birth_date": youth_birth_date, "organisation": organisation}
    try:
        case = cases.create_case(
            session,
            actor=user,
            label=label,
            youth_birth_date=youth_birth_date,
            organisation=organisation,
        )
    except InvalidInput as exc:
        return render(
            request,
            "pages/case_new.html",
            {"user": user, "form": form, "errors": exc.field_errors, "error": exc.message},
            status_code=422,
        )
    return RedirectResponse(f"/cases/{case.id}/deelnemers?nieuw=1", status_code=303)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_overview(
    request: Request, session: SessionDep, user: CurrentUser, case_id: str
) -> Response:
    mine = cases.case_for(session, user=user, case_id=case_id)
    audit.record(session, case_id=case_id, user=user, action=audit.Action.case_viewed)
    members = membership.active_members(session, case_id=case_id)
    docs = documents.documents_for_user(session, user=user, case_id=case_id)
    names = {m.participant.id: m.user.name for m in members}
    shared = [d for d in docs if d.document.section != "verhaal"]
    stories = [d for d in docs if d.document.section == "verhaal"]
    is_aanspreekpunt = mine.participant.role == Role.aanspreekpunt
    invitations = (
        participants.pending_invitations(session, case_id=case_id) if is_aanspreekpunt else []
    )
    return render(
        request,
        "pages/case.html",
        {
            "user": user,
            "mine": mine,
            "case": mine.case,
            "members": members,
            "shared_docs": shared,
            "stories": stories,
            "names": names,
            "titles": SECTION_TITLES,
            "is_aanspreekpunt": is_aanspreekpunt,
            "invitations": invitations,
            "latest_version": versions.latest_version(session, case_id=case_id),
        },
    )


# --- participants --------------------------------------------------------------------------


def _participants_context(
    session: SessionDep, user: CurrentUser, case_id: str
) -> dict[str, object]:
    membership.require_aanspreekpunt(session, user=user, case_id=case_id)
    mine = cases.case_for(session, user=user, case_id=case_id)
    return {
        "user": user,
        "case": mine.case,
        "me": mine.participant,
        "members": membership.active_members(session, case_id=case_id),
        "invitations": participants.pending_invitations(session, case_id=case_id),
        "roles": list(Role),
        "form": {},
        "errors": {},
    }


@router.get("/cases/{case_id}/deelnemers", response_class=HTMLResponse)
def participants_page(
    request: Request, session: SessionDep, user: CurrentUser, case_id: str, nieuw: int = 0
) -> Response:
    context = _participants_context(session, user, case_id)
    context["just_created"] = bool(nieuw)
    return render(request, "pages/participants.html", context)


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
        context = _participants_context(session, user, case_id)
        context.update(form=form, errors=exc.field_errors, error=exc.message)
        return render(
            request,
            "pages/participants.html",
            context,
            status_code=422,
            fragment="_partials/invite.html",
        )
    context = _participants_context(session, user, case_id)
    context["new_invitation"] = created
    return render(
        request,
        "pages/participants.html",
        context,
        status_code=201,
        fragment="_partials/invite.html",
    )


@router.post("/cases/{case_id}/uitnodigingen/{invitation_id}/intrekken")
def revoke_invitation(
    session: SessionDep, user: CurrentUser, case_id: str, invitation_id: int
) -> Response:
    participants.revoke_invitation(
        session, actor=user, case_id=case_id, invitation_id=invitation_id
    )
    return RedirectResponse(f"/cases/{case_id}/deelnemers", status_code=303)


@router.post("/cases/{case_id}/deelnemers/{participant_id}", response_class=HTMLResponse)
def change_participant(
    request: Request,
    session: SessionDep,
    bus: AccessBusDep,
    user: CurrentUser,
    case_id: str,
    participant_id: int,
    role: Annotated[str, Form()] = "",
    gezag: Annotated[bool, Form()] = False,
    safety_closed: Annotated[bool, Form()] = False,
) -> Response:
    try:
        participants.change_participant(
            session,
            actor=user,
            case_id=case_id,
            participant_id=participant_id,
            role=role,
            gezag=gezag,
            safety_closed=safety_closed,
            bus=bus,
        )
    except InvalidInput as exc:
        context = _participants_context(session, user, case_id)
        detail = exc.field_errors.get("role", "")
        message = exc.message if exc.message.startswith("Een casus") else ""
        context.update(change_error=f"{message} {detail}".strip(), change_for=participant_id)
        return render(request, "pages/participants.html", context, status_code=422)
    return RedirectResponse(
        f"/cases/{case_id}/deelnemers?gewijzigd={participant_id}", status_code=303
    )


@router.post(
    "/cases/{case_id}/deelnemers/{participant_id}/verwijderen", response_class=HTMLResponse
)
def remove_participant(
    request: Request,
    session: SessionDep,
    bus: AccessBusDep,
    user: CurrentUser,
    case_id: str,
    participant_id: int,
) -> Response:
    try:
        participants.remove_participant(
            session, actor=user, case_id=case_id, participant_id=participant_id, bus=bus
        )
    except InvalidInput as exc:
        context = _participants_context(session, user, case_id)
        context.update(change_error=exc.message, change_for=participant_id)
        return render(request, "pages/participants.html", context, status_code=422)
    return RedirectResponse(f"/cases/{case_id}/deelnemers?verwijderd=1", status_code=303)


# --- invitations ---------------------------------------------------------------------------


@router.get("/uitnodiging/{token}", response_class=HTMLResponse)
def invitation_page(
    request: Request, session: SessionDep, user: OptionalUser, token: str
) -> Response:
    try:
        invitation = participants.open_invitation(session, token=token)
    except ServiceError as exc:
        return render(
            request,
            "pages/invitation_gone.html",
            {"user": user, "message": exc.message},
            status_code=exc.status_code,
        )
    return render(
        request, "pages/invitation.html", _invitation_context(session, invitation, user, token)
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
        return render(
            request,
            "pages/invitation_gone.html",
            {"user": user, "message": exc.message},
            status_code=exc.status_code,
        )
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
        _set_session_cookie(response, session_token, settings)
        if must_enrol:
            response.headers["location"] = "/account/tweestapsverificatie"
    return response
