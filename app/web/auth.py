"""Signing in and out. The session lives in an HttpOnly cookie that holds a random token."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.models import AuthLevel
from app.security import SESSION_COOKIE
from app.services import accounts
from app.services.errors import InvalidInput, TooManyAttempts
from app.settings import Settings
from app.web.deps import AccessBusDep, ClientIP, OptionalUser, SessionDep, SettingsDep
from app.web.templating import render

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only follow a local path after sign-in (no open redirect)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, user: OptionalUser, next: str = "/") -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "pages/login.html", {"user": None, "next": safe_next(next), "email": ""})


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
    context: dict[str, Any] = {"user": None, "next": safe_next(next), "email": email}
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
    response = RedirectResponse(safe_next(target), status_code=303)
    set_session_cookie(response, token, settings)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, bus: AccessBusDep) -> Response:
    accounts.end_session(session, request.cookies.get(SESSION_COOKIE), bus=bus)
    response = RedirectResponse("/login?uitgelogd=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
