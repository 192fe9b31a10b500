"""The readiness check that load balancers and Docker ask (a store that stops writing is
covered with a real failing database in tests/crdt/test_ws_quotas.py)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient


def test_health_check_answers_when_the_database_does(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_health_check_fails_while_the_document_store_is_not_writing(
    client: TestClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = app.state.rooms.store
    monkeypatch.setattr(type(store), "healthy", property(lambda _self: False))
    answer = client.get("/healthz")
    assert (answer.status_code, answer.json()) == (503, {"status": "document store is not writing"})
