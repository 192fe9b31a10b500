"""Annotated dependencies, so routes read like sentences."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from app.models import User
from app.security import SESSION_COOKIE
from app.services import accounts
from app.services.access_bus import AccessBus
from app.settings import Settings


class NotSignedIn(Exception):
    """Raised when a page or API call needs a signed-in person (pages redirect, API 401)."""


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


def get_current_user(user: OptionalUser) -> User:
    if user is None:
        raise NotSignedIn()
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
