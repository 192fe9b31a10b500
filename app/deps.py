"""Annotated dependencies, so routes read like sentences."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from app.models import User
from app.security import SESSION_COOKIE, client_address
from app.services import accounts, two_factor
from app.services.access_bus import AccessBus
from app.settings import Settings


class NotSignedIn(Exception):
    """Raised when a page or API call needs a signed-in person (pages redirect, API 401)."""


class NeedsTwoFactor(Exception):
    """Raised when the account must set up two-factor sign-in before anything else (pages
    redirect to the set-up page, API 403)."""


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_access_bus(request: Request) -> AccessBus:
    return request.app.state.access_bus  # type: ignore[no-any-return]


AccessBusDep = Annotated[AccessBus, Depends(get_access_bus)]


def get_optional_user(request: Request, session: SessionDep) -> User | None:
    return accounts.user_for_session_token(session, request.cookies.get(SESSION_COOKIE))


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


def get_current_user(
    request: Request, session: SessionDep, settings: SettingsDep, user: OptionalUser
) -> User:
    token = request.cookies.get(SESSION_COOKIE)
    if user is None:
        if accounts.enrolling_user_for_session_token(session, token) is not None:
            raise NeedsTwoFactor()
        raise NotSignedIn()
    if not user.uses_two_factor and two_factor.is_required(session, user=user, settings=settings):
        # it became required while signed in (e.g. made specialist): enrol before going on
        accounts.require_enrolment(session, token)
        raise NeedsTwoFactor()
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_enrolling_user(request: Request, session: SessionDep) -> User:
    """A full sign-in, or one that may only set up two-factor sign-in."""
    user = accounts.enrolling_user_for_session_token(session, request.cookies.get(SESSION_COOKIE))
    if user is None:
        raise NotSignedIn()
    return user


EnrollingUser = Annotated[User, Depends(get_enrolling_user)]


def get_client_ip(request: Request, settings: SettingsDep) -> str:
    return client_address(
        request.client.host if request.client else None,
        request.headers.get("x-forwarded-for"),
        settings.trusted_proxy_networks,
    )


ClientIP = Annotated[str, Depends(get_client_ip)]
