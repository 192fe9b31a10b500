"""Updates made by real Yjs (``tests/interop/yjs_updates.mjs``), generated once per test run by
one node process: a corpus of updates with what ``Y.decodeUpdate`` reads in them, and honest
editing sessions on documents shaped like eenplan's sections."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "interop" / "yjs_updates.mjs"

SEED = 20261109
CORPUS_SESSIONS = 120
HONEST_SESSIONS = 60
OFFLINE_SESSIONS = 30


@dataclass(frozen=True)
class YjsUpdate:
    update: bytes
    structs: list[list[Any]]  # as Y.decodeUpdate reads them (see yjs_updates.mjs)
    delete_set: list[list[int]]


@dataclass(frozen=True)
class YjsSession:
    section: str
    offline: bool  # someone worked offline for a while, then reconnected
    updates: list[tuple[str, bytes]]  # (author, update) in the order the server receives them
    server_state: bytes  # the state vector of a Yjs document that applied all of them


@dataclass(frozen=True)
class YjsCorpus:
    updates: list[YjsUpdate]
    sessions: list[YjsSession]


def node_is_ready() -> bool:
    return shutil.which("node") is not None and (ROOT / "node_modules" / "yjs").is_dir()


@cache
def corpus() -> YjsCorpus:
    """Run node once; later calls in the same test run get the same corpus."""
    options = {
        "seed": SEED,
        "corpusSessions": CORPUS_SESSIONS,
        "honestSessions": HONEST_SESSIONS,
        "offlineSessions": OFFLINE_SESSIONS,
    }
    result = subprocess.run(
        ["node", str(SCRIPT), json.dumps(options)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    updates = []
    sessions = []
    for line in result.stdout.splitlines():
        record = json.loads(line)
        if record["kind"] == "update":
            updates.append(YjsUpdate(bytes.fromhex(record["hex"]), record["structs"], record["ds"]))
        else:
            sessions.append(
                YjsSession(
                    record["section"],
                    record["offline"],
                    [(author, bytes.fromhex(update)) for author, update in record["updates"]],
                    bytes.fromhex(record["state"]),
                )
            )
    return YjsCorpus(updates, sessions)
