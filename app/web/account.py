"""Your own account: two-factor sign-in, sessions and password.

The two-factor page also opens for a session that may only enrol (a professional who must use
two-factor sign-in and has not set it up yet); every other page needs a full sign-in.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.models import User
from app.security import SESSION_COOKIE, token_hash
from app.services import accounts, notifications, two_factor
from app.services.errors import InvalidInput, TooManyAttempts
from app.settings import Settings
from app.web import confirm
from app.web.deps import (
    AccessBusDep,
    ClientIP,
    CurrentUser,
    EnrollingUser,
    SessionDep,
    SettingsDep,
)
from app.web.templating import render

router = APIRouter()


@router.get("/account", response_class=HTMLResponse)
def account_page(
    request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> Response:
    return render(
        request,
        "pages/account.html",
        {
            "user": user,
            "nav": "account",
            "required": two_factor.is_required(session, user=user, settings=settings),
            "sessions": len(accounts.active_sessions(session, user=user)),
        },
    )


# --- two-factor sign-in --------------------------------------------------------------------


def _enrolment_context(session: SessionDep, settings: Settings, user: User) -> dict[str, object]:
    context: dict[str, object] = {
        "user": user,
        "nav": "account",
        "required": two_factor.is_required(session, user=user, settings=settings),
        "errors": {},
    }
    if user.uses_two_factor:
        context["remaining"] = two_factor.remaining_recovery_codes(session, user=user)
    else:
        secret = two_factor.pending_secret(session, user=user, settings=settings)
        context["secret_groups"] = [secret[i : i + 4] for i in range(0, len(secret), 4)]
        context["qr_svg"] = two_factor.qr_svg(user, secret)
        # On the phone that holds the app a QR code cannot be scanned: a tap on this link opens
        # the app with the same data (a plain link; the CSP does not govern link navigation).
        context["provisioning_uri"] = two_factor.provisioning_uri(user, secret)
    return context


@router.get("/account/tweestapsverificatie", response_class=HTMLResponse)
def two_factor_page(
    request: Request, session: SessionDep, settings: SettingsDep, user: EnrollingUser
) -> Response:
    return render(request, "pages/two_factor.html", _enrolment_context(session, settings, user))


@router.post("/account/tweestapsverificatie", response_class=HTMLResponse)
def confirm_two_factor(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    bus: AccessBusDep,
    user: EnrollingUser,
    code: Annotated[str, Form()] = "",
) -> Response:
    try:
        codes = two_factor.confirm_enrolment(session, user=user, code=code, settings=settings)
    except (InvalidInput, TooManyAttempts) as exc:
        context = _enrolment_context(session, settings, user)
        context.update(error=exc.message, errors={"code": exc.message})
        response = render(request, "pages/two_factor.html", context, status_code=exc.status_code)
        if isinstance(exc, TooManyAttempts):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    accounts.finish_enrolment(
        session, user=user, token=request.cookies.get(SESSION_COOKIE), bus=bus
    )
    return render(
        request,
        "pages/recovery_codes.html",
        {"user": user, "nav": "account", "codes": codes, "first_time": True},
    )


@router.post("/account/herstelcodes", response_class=HTMLResponse)
def new_recovery_codes(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    bevestigd: Annotated[str, Form()] = "",
) -> Response:
    if not user.uses_two_factor:
        return RedirectResponse("/account/tweestapsverificatie", status_code=303)
    if not confirm.is_confirmed(bevestigd):
        return confirm.ask(
            request,
            user=user,
            confirmation=confirm.Confirmation(
                title="Nieuwe herstelcodes maken?",
                question="Weet je zeker dat je nieuwe herstelcodes wilt maken?",
                consequence=(
                    "Je oude herstelcodes werken dan niet meer. Bewaar de nieuwe codes goed."
                ),
                button="Ja, maak nieuwe codes",
                action="/account/herstelcodes",
                back="/account/tweestapsverificatie",
            ),
        )
    codes = two_factor.replace_recovery_codes(session, user=user, settings=settings)
    return render(
        request,
        "pages/recovery_codes.html",
        {"user": user, "nav": "account", "codes": codes, "first_time": False},
    )


# --- sessions ------------------------------------------------------------------------------


@router.get("/account/sessies", response_class=HTMLResponse)
def sessions_page(
    request: Request, session: SessionDep, user: CurrentUser, beeindigd: int | None = None
) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    return render(
        request,
        "pages/sessions.html",
        {
            "user": user,
            "nav": "account",
            "sessions": accounts.active_sessions(session, user=user),
            "current": token_hash(token) if token else "",
            "ended": beeindigd,
        },
    )


@router.post("/account/sessies/overal-uitloggen")
def end_other_sessions(
    request: Request,
    session: SessionDep,
    bus: AccessBusDep,
    user: CurrentUser,
    bevestigd: Annotated[str, Form()] = "",
) -> Response:
    if not confirm.is_confirmed(bevestigd):
        return confirm.ask(
            request,
            user=user,
            confirmation=confirm.Confirmation(
                title="Overal uitloggen?",
                question="Weet je zeker dat je op alle andere apparaten wilt uitloggen?",
                consequence=(
                    "Op die apparaten moet je daarna opnieuw inloggen. Op dit apparaat blijf "
                    "je ingelogd."
                ),
                button="Ja, log overal uit",
                action="/account/sessies/overal-uitloggen",
                back="/account/sessies",
            ),
        )
    ended = accounts.end_other_sessions(
        session, user=user, keep_token=request.cookies.get(SESSION_COOKIE), bus=bus
    )
    return RedirectResponse(f"/account/sessies?beeindigd={ended}", status_code=303)


# --- mail ----------------------------------------------------------------------------------


def _mail_context(
    session: SessionDep, user: User, choices: dict[str, str], **extra: object
) -> dict[str, object]:
    return {
        "user": user,
        "nav": "account",
        "kinds": notifications.choosable(session, user=user),
        "choices": choices,
        "labels": notifications.CHOICE_LABELS,
        "errors": {},
        **extra,
    }


@router.get("/account/meldingen", response_class=HTMLResponse)
def mail_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    chosen = notifications.preferences(session, user=user)
    choices = {str(kind): str(choice) for kind, choice in chosen.items()}
    saved = request.query_params.get("opgeslagen") == "1"
    return render(
        request, "pages/notifications.html", _mail_context(session, user, choices, saved=saved)
    )


@router.post("/account/meldingen", response_class=HTMLResponse)
async def save_mail_choices(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    form = await request.form()
    offered = notifications.choosable(session, user=user)
    choices = {str(kind): str(form.get(str(kind), "")) for kind in offered}
    try:
        notifications.set_preferences(session, user=user, choices=choices)
    except InvalidInput as exc:
        context = _mail_context(session, user, choices, errors=exc.field_errors, error=exc.message)
        return render(request, "pages/notifications.html", context, status_code=422)
    return RedirectResponse("/account/meldingen?opgeslagen=1", status_code=303)


# --- password ------------------------------------------------------------------------------


@router.get("/account/wachtwoord", response_class=HTMLResponse)
def password_page(request: Request, user: CurrentUser) -> Response:
    return render(request, "pages/password.html", {"user": user, "nav": "account", "errors": {}})


@router.post("/account/wachtwoord", response_class=HTMLResponse)
def change_password(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    bus: AccessBusDep,
    client_ip: ClientIP,
    user: CurrentUser,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    new_password_again: Annotated[str, Form()] = "",
) -> Response:
    try:
        accounts.change_password(
            session,
            user=user,
            current=current_password,
            new=new_password,
            new_again=new_password_again,
            client_ip=client_ip,
            settings=settings,
            keep_token=request.cookies.get(SESSION_COOKIE),
            bus=bus,
        )
    except TooManyAttempts as exc:
        response = render(
            request,
            "pages/password.html",
            {"user": user, "nav": "account", "errors": {}, "error": exc.message},
            status_code=429,
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except InvalidInput as exc:
        return render(
            request,
            "pages/password.html",
            {"user": user, "nav": "account", "errors": exc.field_errors, "error": exc.message},
            status_code=422,
        )
    return render(
        request, "pages/password.html", {"user": user, "nav": "account", "errors": {}, "done": True}
    )
