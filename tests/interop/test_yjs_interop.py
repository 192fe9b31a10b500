"""A real Yjs client (yjs + y-websocket's WebsocketProvider, run by node) against a real server,
converging with a pycrdt client."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from app.migrate import upgrade_to_head
from app.security import SESSION_COOKIE
from tests.conftest import PASSWORD
from tests.crdt.live import LiveServer, LiveYClient, family_with_document, running

pytestmark = [pytest.mark.node, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PEER = Path(__file__).parent / "yjs_peer.mjs"


@pytest.fixture(scope="module", autouse=True)
def node_available() -> None:
    # `make test` installs node_modules; a missing node is an error there, not a skip.
    assert shutil.which("node"), "node is needed for the Yjs interop tests"
    assert (ROOT / "node_modules" / "y-websocket").is_dir(), "run `make node-deps`"


def start_peer(
    server: LiveServer, token: str, doc_id: str, **options: Any
) -> subprocess.Popen[str]:
    config = {
        "serverUrl": f"ws://127.0.0.1:{server.port}/ws/docs",
        "room": doc_id,
        "cookie": f"{SESSION_COOKIE}={token}",
        "origin": server.origin,
        **options,
    }
    return subprocess.Popen(
        ["node", str(PEER), json.dumps(config)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def result_of(peer: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = peer.communicate(timeout=60)
    assert peer.returncode == 0, (out, err)
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def test_a_yjs_client_and_a_pycrdt_client_converge(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'interop.db'}"
    upgrade_to_head(database_url)
    family, doc_id = family_with_document(database_url)
    with running(LiveServer(database_url, tmp_path / "server.log")) as server:
        token_yjs = server.sign_in(family.user("aanspreekpunt").email, PASSWORD)
        token_py = server.sign_in(family.user("jongere").email, PASSWORD)
        py = LiveYClient(server, token_py, doc_id)
        py.wait_for(lambda c: c.synced)
        py.type("pycrdt-eerst;")
        peer = start_peer(
            server,
            token_yjs,
            doc_id,
            write="yjs;",
            waitFor="pycrdt-daarna;",
            presence={"user": {"name": "Nep Naam", "role": "aanspreekpunt"}, "cursor": 1},
            waitForPeerName=family.user("jongere").name,
        )
        py.wait_for(lambda c: "yjs;" in c.content())
        # The Yjs peer sets its presence before it writes, and removes it when it exits.
        py.wait_for(lambda c: family.user("aanspreekpunt").name in c.peer_names())
        names = py.peer_names()
        py.announce({"cursor": 2})
        py.type("pycrdt-daarna;")
        result = result_of(peer)
        final = py.content()
        py.close()
    assert result["text"] == final
    assert sorted(final.split(";")) == sorted(["pycrdt-eerst", "yjs", "pycrdt-daarna", ""])
    assert "Nep Naam" not in names  # the server wrote the real name into the Yjs presence
    assert [p["user"]["name"] for p in result["peers"]] == [family.user("jongere").name]


def test_a_yjs_client_without_access_sees_4403(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'interop.db'}"
    upgrade_to_head(database_url)
    family, _doc_id = family_with_document(database_url)
    with running(LiveServer(database_url, tmp_path / "server.log")) as server:
        token = server.sign_in(family.user("jongere").email, PASSWORD)
        result = result_of(start_peer(server, token, "0" * 32, write="x"))
    assert result == {"closed": 4403}
