"""Wachtwoord vergeten: ask for a link by mail, then choose a new password with it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.services import password_reset
from app.services.accounts import MAX_EMAIL_LENGTH
from app.services.errors import Gone, InvalidInput, NotFound, TooManyAttempts
from app.web.deps import AccessBusDep, ClientIP, SessionDep, SettingsDep
from app.web.templating import render

router = APIRouter()


@router.get("/wachtwoord-vergeten", response_class=HTMLResponse)
def forgot_page(request: Request, email: str = "") -> Response:
    """``email``: what was typed on the sign-in page, so it need not be typed again."""
    context: dict[str, object] = {
        "user": None,
        "errors": {},
        "email": email.strip()[:MAX_EMAIL_LENGTH],
    }
    return render(request, "pages/forgot_password.html", context)


@router.post("/wachtwoord-vergeten", response_class=HTMLResponse)
def forgot(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    client_ip: ClientIP,
    email: Annotated[str, Form()] = "",
) -> Response:
    """The same answer whether the address has an account or not."""
    context: dict[str, object] = {"user": None, "errors": {}, "email": email}
    try:
        password_reset.request_reset(session, email=email, client_ip=client_ip, settings=settings)
    except TooManyAttempts as exc:
        response = render(
            request,
            "pages/forgot_password.html",
            {**context, "error": exc.message},
            status_code=429,
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except InvalidInput as exc:
        context.update(errors=exc.field_errors, error=exc.message)
        return render(request, "pages/forgot_password.html", context, status_code=422)
    return render(request, "pages/forgot_password.html", {**context, "sent": True})


def _gone_page(request: Request, exc: Gone | NotFound) -> Response:
    return render(
        request,
        "pages/reset_password.html",
        {"user": None, "gone": exc.message, "errors": {}},
        status_code=exc.status_code,
    )


@router.get("/wachtwoord-herstellen/{token}", response_class=HTMLResponse)
def reset_page(request: Request, session: SessionDep, token: str) -> Response:
    try:
        _reset, user = password_reset.open_reset(session, token=token)
    except (Gone, NotFound) as exc:
        return _gone_page(request, exc)
    return render(
        request,
        "pages/reset_password.html",
        {"user": None, "email": user.email, "token": token, "errors": {}},
    )


@router.post("/wachtwoord-herstellen/{token}", response_class=HTMLResponse)
def reset(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    bus: AccessBusDep,
    token: str,
    new_password: Annotated[str, Form()] = "",
    new_password_again: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    password_again: Annotated[str, Form()] = "",
) -> Response:
    """Takes ``new_password``/``new_password_again`` (this page's form) or, as the invitation
    form names them, ``password``/``password_again``."""
    try:
        password_reset.finish_reset(
            session,
            token=token,
            new=new_password or password,
            new_again=new_password_again or password_again,
            settings=settings,
            bus=bus,
        )
    except (Gone, NotFound) as exc:
        return _gone_page(request, exc)
    except InvalidInput as exc:
        _reset, user = password_reset.open_reset(session, token=token)
        context = {
            "user": None,
            "email": user.email,
            "token": token,
            "errors": exc.field_errors,
            "error": exc.message,
        }
        return render(request, "pages/reset_password.html", context, status_code=422)
    # Signing in stays a step of its own, so two-factor accounts still type their code.
    return RedirectResponse("/login?wachtwoord=nieuw", status_code=303)
