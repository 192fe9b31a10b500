"""Annotated dependencies, so routes read like sentences.

The app's shared objects (settings, engine, access bus, room server, templates) are set on
``app.state`` by ``create_app``; this module is the only place that reads them there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.requests import HTTPConnection

from app.crdt.server import RoomServer
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


# --- the app's shared objects (HTTP requests and WebSockets alike) ---------------------------


def get_settings_dep(connection: HTTPConnection) -> Settings:
    return connection.app.state.settings  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_engine(connection: HTTPConnection) -> Engine:
    return connection.app.state.engine  # type: ignore[no-any-return]


EngineDep = Annotated[Engine, Depends(get_engine)]


def get_access_bus(connection: HTTPConnection) -> AccessBus:
    return connection.app.state.access_bus  # type: ignore[no-any-return]


AccessBusDep = Annotated[AccessBus, Depends(get_access_bus)]


def get_rooms(connection: HTTPConnection) -> RoomServer:
    return connection.app.state.rooms  # type: ignore[no-any-return]


RoomsDep = Annotated[RoomServer, Depends(get_rooms)]


def templates_of(connection: HTTPConnection) -> Jinja2Templates:
    """The app's templates (``render`` takes them from here)."""
    return connection.app.state.templates  # type: ignore[no-any-return]


def get_session(engine: EngineDep) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


# --- who is asking ---------------------------------------------------------------------------


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


# Ids and numbers in addresses: larger than any row can have (SQLite cannot even compare a
# number past 2**63), so a made-up huge one is refused as invalid instead of failing inside.
MAX_ROW_NUMBER = 2**53
RowInPath = Annotated[int, Path(ge=0, le=MAX_ROW_NUMBER)]
RowInQuery = Annotated[int, Query(ge=0, le=MAX_ROW_NUMBER)]
