"""Fixtures for the sync server: open a document's WebSocket as a given person."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from starlette.testclient import WebSocketTestSession

from app.crdt.server import RoomServer
from app.models import Document, Section, User
from app.security import SESSION_COOKIE
from app.settings import Settings
from tests.conftest import ORIGIN, Family, live_session_token

Connect = Callable[..., AbstractContextManager[WebSocketTestSession]]


@pytest.fixture
def rooms(app: FastAPI, client: TestClient) -> RoomServer:
    server: RoomServer = app.state.rooms
    return server


@pytest.fixture
def session_token(db: Session, settings: Settings) -> Callable[[User], str]:
    def make(user: User) -> str:
        return live_session_token(db, user, settings)

    return make


@pytest.fixture
def connect(client: TestClient, session_token: Callable[[User], str]) -> Connect:
    """``connect(user, doc_id)`` opens the document's socket with that person's cookie."""

    @contextmanager
    def open_socket(
        user: User | None, doc_id: str, *, origin: str | None = ORIGIN
    ) -> Iterator[WebSocketTestSession]:
        headers = {}
        if user is not None:
            headers["cookie"] = f"{SESSION_COOKIE}={session_token(user)}"
        if origin is not None:
            headers["origin"] = origin
        with client.websocket_connect(f"/ws/docs/{doc_id}", headers=headers) as ws:
            yield ws

    return open_socket


def doc_id_of(db: Session, family: Family, section: Section, owner: str | None = None) -> str:
    query = select(Document).where(Document.case_id == family.case.id, Document.section == section)
    if owner is not None:
        query = query.where(Document.owner_participant_id == family.places[owner].id)
    document = db.exec(query).one()
    return document.id
