"""Write-ahead, for real: whatever a peer has seen survives ``kill -9`` of the server."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from app.db import make_engine
from app.migrate import upgrade_to_head
from app.models import Section
from tests.conftest import PASSWORD, Family, _years_ago, make_user
from tests.crdt.conftest import doc_id_of
from tests.crdt.live import LiveServer, LiveYClient

pytestmark = pytest.mark.slow

EDITS = 60


@contextlib.contextmanager
def running(server: LiveServer) -> Iterator[LiveServer]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _family(database_url: str) -> tuple[Family, str]:
    from app.models import Role
    from app.services import cases, participants

    engine = make_engine(database_url)
    with Session(engine, expire_on_commit=False) as db:
        wij = make_user(db, "Wendy WIJ")
        case = cases.create_case(
            db, actor=wij, label="Gezin Crash", youth_birth_date=_years_ago(15).isoformat()
        )
        youth = make_user(db, "Jongere")
        place = participants.add_participant(db, case=case, user=youth, role=Role.jongere)
        db.commit()
        family = Family(
            case=case,
            people={"aanspreekpunt": wij, "jongere": youth},
            places={
                "aanspreekpunt": participants.active_participant(db, user=wij, case_id=case.id),
                "jongere": place,
            },
        )
        doc_id = doc_id_of(db, family, Section.analyse)
    engine.dispose()
    return family, doc_id


def test_every_edit_a_peer_saw_survives_kill_9(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'crash.db'}"
    upgrade_to_head(database_url)
    family, doc_id = _family(database_url)
    server = LiveServer(database_url, tmp_path / "server.log")
    with running(server):
        token_a = server.sign_in(family.user("aanspreekpunt").email, PASSWORD)
        token_b = server.sign_in(family.user("jongere").email, PASSWORD)
        writer = LiveYClient(server, token_a, doc_id)
        reader = LiveYClient(server, token_b, doc_id)
        writer.wait_for(lambda c: c.synced)
        reader.wait_for(lambda c: c.synced)
        for i in range(EDITS // 2):
            writer.type(f"[{i}]")
            reader.wait_for(lambda c, i=i: f"[{i}]" in c.content())
        for i in range(EDITS // 2, EDITS):  # no waiting: the kill lands mid-stream
            writer.type(f"[{i}]")
        reader.wait_for(lambda c: f"[{EDITS // 2 + 5}]" in c.content())
        server.kill()
        with reader.lock:
            seen = reader.content()
        writer.close()
        reader.close()

    assert f"[{EDITS // 2 - 1}]" in seen
    restarted = LiveServer(database_url, tmp_path / "server.log", port=server.port)
    with running(restarted):
        token = restarted.sign_in(family.user("jongere").email, PASSWORD)
        again = LiveYClient(restarted, token, doc_id)
        again.wait_for(lambda c: c.synced)
        restored = again.content()
        again.close()
    assert restored.startswith(seen), (seen, restored)
