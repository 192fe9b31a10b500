"""Write-ahead, for real: whatever a peer has seen survives ``kill -9`` of the server."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.migrate import upgrade_to_head
from tests.conftest import PASSWORD
from tests.crdt.live import LiveServer, LiveYClient, family_with_document, running

pytestmark = pytest.mark.slow

EDITS = 60


def test_every_edit_a_peer_saw_survives_kill_9(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'crash.db'}"
    upgrade_to_head(database_url)
    family, doc_id = family_with_document(database_url)
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
