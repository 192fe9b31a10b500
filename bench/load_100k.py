"""Time to load a document with 100,000 logged updates (target ≤ 50 ms).

    .venv/bin/python -m bench.load_100k [--updates 100000] [--runs 7] [--no-server]

Builds a throw-away SQLite database with one case and writes 100,000 one-character Y.Text
updates (made by a real pycrdt Doc, one transaction each) straight into ``document_updates`` of
three documents:

- ``log only``: no snapshot at all, the load merges 100,000 updates (the worst case);
- ``snapshot + tail``: a snapshot of the first 100,000 − 499 updates and 499 after it: the most a
  document carries with the store's default compaction (a snapshot every 500 updates);
- ``snapshot only``: everything compacted.

For each it times ``SqlDocumentStore.load`` with a fresh engine and store every run (cold in the
process; the file is in the OS page cache) plus building the room's ``Doc(skip_gc=True)`` from the
loaded state, and reports the median. Unless ``--no-server``, it also times the whole path through
a running server: WebSocket handshake with a session cookie to the SyncStep2 that carries the
document, with the room unloaded before every run.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from pycrdt import Doc, Text, TransactionEvent
from sqlalchemy import insert
from sqlmodel import Session

from bench.seed import PASSWORD, Editor, Seed, migrate, sign_in_all
from bench.servers import EenplanServer
from bench.wire import YWebsocketWire

TAIL = 499
UNLOAD_WAIT = 3.5  # the server unloads a room 2 s after its last connection left


def make_updates(n: int) -> list[bytes]:
    doc = Doc()
    text = doc.get("krachten", type=Text)
    updates: list[bytes] = []

    def keep(event: TransactionEvent) -> None:
        updates.append(event.update)

    subscription = doc.observe(keep)
    alphabet = "abcdefghijklmnopqrstuvwxyz "
    for i in range(n):
        text.insert(len(text), alphabet[i % len(alphabet)])
    doc.unobserve(subscription)
    return updates


def write_log(engine, doc_id: str, updates: list[bytes]) -> None:  # type: ignore[no-untyped-def]
    from app.models import DocumentUpdate, utcnow

    now = utcnow()
    with engine.begin() as conn:
        for start in range(0, len(updates), 10_000):
            conn.execute(
                insert(DocumentUpdate),
                [
                    {"document_id": doc_id, "update": u, "author_user_id": None, "created_at": now}
                    for u in updates[start : start + 10_000]
                ],
            )


def build(workdir: Path, n: int) -> tuple[str, dict[str, str], Editor, int]:
    from app.crdt.store import SqlDocumentStore
    from app.db import make_engine
    from app.services import accounts, cases, documents

    database_url = f"sqlite:///{workdir / 'load100k.db'}"
    migrate(database_url)
    engine = make_engine(database_url)
    editor = Editor("load100k@voorbeeld.nl")
    with Session(engine, expire_on_commit=False) as session:
        user = accounts.create_user(
            session,
            email=editor.email,
            name="Load Test",
            password=PASSWORD,
            is_professional=True,
        )
        birth = date(date.today().year - 14, 1, 1).isoformat()
        case = cases.create_case(session, actor=user, label="Load 100k", youth_birth_date=birth)
        found = documents.documents_for_user(session, user=user, case_id=case.id)
        ids = {str(d.document.section): d.document.id for d in found}
    docs = {
        "log only": ids["analyse"],
        "snapshot + tail": ids["plan"],
        "snapshot only": ids["perspectief"],
    }
    t0 = time.perf_counter()
    updates = make_updates(n)
    print(f"made {n} updates ({sum(map(len, updates))} bytes) in {time.perf_counter() - t0:.1f} s")
    store = SqlDocumentStore(engine)
    write_log(engine, docs["log only"], updates)
    write_log(engine, docs["snapshot + tail"], updates[: n - TAIL])
    store._compact_sync(docs["snapshot + tail"])
    write_log(engine, docs["snapshot + tail"], updates[n - TAIL :])
    write_log(engine, docs["snapshot only"], updates)
    store._compact_sync(docs["snapshot only"])
    engine.dispose()
    return database_url, docs, editor, len(updates[-1])


async def time_store(
    database_url: str, doc_id: str, runs: int
) -> tuple[list[float], list[float], int]:
    from app.crdt.store import SqlDocumentStore
    from app.db import make_engine

    load_ms: list[float] = []
    total_ms: list[float] = []
    size = 0
    for _ in range(runs):
        engine = make_engine(database_url)
        store = SqlDocumentStore(engine)
        t0 = time.perf_counter()
        loaded = await store.load(doc_id)
        t1 = time.perf_counter()
        doc = Doc(skip_gc=True)  # what Room() does with the loaded state
        doc.apply_update(loaded.state)
        t2 = time.perf_counter()
        load_ms.append((t1 - t0) * 1000)
        total_ms.append((t2 - t0) * 1000)
        size = len(loaded.state)
        await store.close()
        engine.dispose()
    return load_ms, total_ms, size


async def time_server(server: EenplanServer, cookie: str, doc_id: str, runs: int) -> list[float]:
    from websockets.asyncio.client import connect

    wire = YWebsocketWire(doc_id)
    times: list[float] = []
    for _ in range(runs):
        await asyncio.sleep(UNLOAD_WAIT)
        t0 = time.perf_counter()
        async with connect(
            server.ws_url(doc_id),
            origin=server.origin,  # type: ignore[arg-type]
            additional_headers={"Cookie": cookie},
            proxy=None,
            max_size=64 * 1024 * 1024,
            open_timeout=30,
        ) as ws:
            await ws.send(wire.sync_step1(Doc().get_state()))
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                data = await asyncio.wait_for(ws.recv(), 30)
                if isinstance(data, bytes) and wire.parse(data).kind == "step2":
                    break
            times.append((time.perf_counter() - t0) * 1000)
    return times


def fmt(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ms (min {min(values):.1f}, max {max(values):.1f})"


async def main_async(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="eenplan-load100k-"))
    try:
        database_url, docs, editor, _ = build(workdir, args.updates)
        print(f"{args.updates} logged updates per document; {args.runs} cold loads each\n")
        print("| document | store.load | load + Doc(skip_gc) | state bytes |")
        print("|---|---|---|---|")
        for name, doc_id in docs.items():
            load_ms, total_ms, size = await time_store(database_url, doc_id, args.runs)
            print(f"| {name} | {fmt(load_ms)} | {fmt(total_ms)} | {size} |")
        if not args.no_server:
            server = EenplanServer(workdir, database_url)
            server.start()
            try:
                seed_ = Seed(database_url, editors=[editor])
                await asyncio.to_thread(sign_in_all, seed_, server.port, parallel=1)
                print(
                    "\nThrough the server (WebSocket open with cookie → SyncStep2 received, room"
                    " unloaded before each run):\n"
                )
                print("| document | open → synced |")
                print("|---|---|")
                for name, doc_id in docs.items():
                    times = await time_server(server, editor.cookie, doc_id, args.runs)
                    print(f"| {name} | {fmt(times)} |")
            finally:
                server.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load_100k")
    parser.add_argument("--updates", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-server", action="store_true", help="only time the store")
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
