"""Fan-out benchmark: eenplan against Hocuspocus, same load generator, same run.

    .venv/bin/python -m bench.run [--quick] [--json results.json] [--compression none]

Loads (from the issue): A = 1 document × 50 editors × 2 edits/s, B = 200 documents × 2 editors
× 1 edit/s, C = 1 document × 2 editors × 10 edits/s. Every editor is a WebSocket client with its
own pycrdt Doc; an edit inserts ``E<id>;`` at the end of a Y.Text and sends the update. Fan-out
latency is the time from sending an edit until another editor of the document receives a message
carrying it (same process, same clock). After the last edit the generator waits until every peer
has every edit (at most 10 s), then kills the server with SIGKILL and counts which edits are in
its storage.

eenplan runs with sign-in (session cookies from ``POST /login``; every WebSocket is checked
against the database) and its durable write-ahead store (SQLite). Hocuspocus 3.4.4 runs with an
onAuthenticate hook and file storage through its debounced onStoreDocument (bench/
hocuspocus_server.mjs). Each (server, load) pair gets a fresh server process. Then the memory
probe: server RSS per idle connection and per open document. Everything stays on 127.0.0.1;
every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pycrdt import Doc, Text
from websockets.asyncio.client import ClientConnection, connect

from bench.seed import Seed, seed, sign_in_all
from bench.servers import (
    HOCUSPOCUS_TOKEN,
    CpuMeter,
    EenplanServer,
    HocuspocusServer,
    ServerProcess,
    cpu_ticks,
    load_average,
    rss_bytes,
)
from bench.wire import HocuspocusWire, YWebsocketWire, awareness_payload

MARK = re.compile(rb"E(\d{7});")
TEXT_NAME = "krachten"  # the analyse document's first text; the server refuses unknown roots
CONNECT_PARALLEL = 16
CONNECT_TIMEOUT = 30.0
DRAIN_TIMEOUT = 10.0
MB = 1024 * 1024


@dataclass(frozen=True)
class Load:
    key: str
    title: str
    editors_per_doc: int
    rate: float  # edits per second per editor
    docs: str = ""  # which seeded documents (default: the key)
    flooder: bool = False  # one more connection sends presence as fast as it can
    lock: bool = False  # another connection holds the SQLite write lock at intervals
    servers: tuple[str, ...] = ("eenplan", "hocuspocus")
    duration: float | None = None  # seconds of edits (default: --duration)

    @property
    def docs_key(self) -> str:
        return self.docs or self.key


LOADS = [
    Load("A", "1 doc × 50 editors × 2 edits/s", 50, 2.0),
    Load("B", "200 docs × 2 editors × 1 edit/s", 2, 1.0),
    Load("C", "1 doc × 2 editors × 10 edits/s", 2, 10.0),
    Load(
        "A+lock",
        "load A while another connection holds the write lock 300 ms of every 800",
        50,
        2.0,
        docs="A",
        lock=True,
        servers=("eenplan",),
    ),
    Load("D0", "1 doc × 10 editors × 2 edits/s", 10, 2.0, docs="D"),
    Load("D", "the same 10 editors beside one connection flooding presence", 10, 2.0, flooder=True),
    Load("E", "1 doc × 10 editors × 5 edits/s for 30 s: 1,500 edits", 10, 5.0, duration=30.0),
    Load(
        "E+lock",
        "load E again, with the write lock held 300 ms of every 800",
        10,
        5.0,
        docs="E",
        lock=True,
        servers=("eenplan",),
        duration=30.0,
    ),
]
LOCK_EVERY = 0.5
LOCK_HOLD = 0.3
FLOOD_STATE_BYTES = 4096


# -- bookkeeping of edits ---------------------------------------------------------------------


@dataclass
class EditLog:
    t_send: dict[int, float] = field(default_factory=dict)
    sender: dict[int, int] = field(default_factory=dict)
    doc_of: dict[int, str] = field(default_factory=dict)
    expected: dict[int, int] = field(default_factory=dict)
    received: dict[int, int] = field(default_factory=dict)
    measured: set[int] = field(default_factory=set)
    latencies_ms: list[float] = field(default_factory=list)
    timeline: list[tuple[float, float]] = field(default_factory=list)  # (send time, latency)
    next_eid: int = 1

    def new_edit(self, sender: int, doc: str, peers: int, measured: bool) -> int:
        eid = self.next_eid
        self.next_eid += 1
        self.sender[eid] = sender
        self.doc_of[eid] = doc
        self.expected[eid] = peers
        self.received[eid] = 0
        if measured:
            self.measured.add(eid)
        return eid

    def missing(self) -> int:
        return sum(self.expected.values()) - sum(self.received.values())


# -- one editor -------------------------------------------------------------------------------


class Client:
    """One WebSocket editor of one document."""

    def __init__(
        self,
        idx: int,
        wire: YWebsocketWire | HocuspocusWire,
        url: str,
        *,
        headers: dict[str, str],
        origin: str | None,
        log: EditLog,
        compression: str | None,
        text_name: str = TEXT_NAME,
    ) -> None:
        self.idx = idx
        self.wire = wire
        self.url = url
        self.headers = headers
        self.origin = origin
        self.log = log
        self.compression = compression
        self.doc = Doc()
        self.text_name = text_name
        self.text = self.doc.get(text_name, type=Text)
        self.seen: set[int] = set()
        self.synced = asyncio.Event()
        self.ws: ClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None
        self.error: str | None = None
        self.acks = 0
        self.extensions = ""

    async def open(self) -> None:
        self.ws = await connect(
            self.url,
            origin=self.origin,  # type: ignore[arg-type]
            additional_headers=self.headers,
            compression=self.compression,
            proxy=None,
            max_size=64 * MB,
            open_timeout=CONNECT_TIMEOUT,
            close_timeout=2,
        )
        if self.ws.response is not None:
            self.extensions = self.ws.response.headers.get("Sec-WebSocket-Extensions", "")
        self.reader = asyncio.create_task(self._read())
        for message in self.wire.hello():
            await self.ws.send(message)
        await self.ws.send(self.wire.sync_step1(self.doc.get_state()))
        await asyncio.wait_for(self.synced.wait(), CONNECT_TIMEOUT)

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for data in self.ws:
                now = time.perf_counter()
                if isinstance(data, str):
                    continue
                message = self.wire.parse(data)
                kind = message.kind
                if kind == "update":
                    self._track(message.payload, now)
                    self.doc.apply_update(message.payload)
                elif kind == "step1":
                    await self.ws.send(self.wire.sync_step2(self.doc.get_update(message.payload)))
                elif kind == "step2":
                    self.doc.apply_update(message.payload)
                    self.synced.set()
                elif kind == "status":
                    self.acks += 1
                elif kind == "auth-denied":
                    self.error = "authentication denied"
                    return
        except Exception as exc:  # a closed or broken socket ends this editor
            self.error = self.error or repr(exc)
        finally:
            if self.ws is not None and self.ws.close_code not in (None, 1000):
                self.error = self.error or f"closed {self.ws.close_code}"

    def _track(self, payload: bytes, now: float) -> None:
        log = self.log
        for match in MARK.finditer(payload):
            eid = int(match.group(1))
            if eid in self.seen:
                continue
            sender = log.sender.get(eid)
            if sender is None or sender == self.idx:
                continue  # an echo of our own edit (Hocuspocus), or not from this run
            self.seen.add(eid)
            log.received[eid] += 1
            if eid in log.measured:
                sent = log.t_send[eid]
                log.latencies_ms.append((now - sent) * 1000)
                log.timeline.append((sent, (now - sent) * 1000))

    async def edit(self, eid: int) -> None:
        assert self.ws is not None
        before = self.doc.get_state()
        self.text.insert(len(self.text), f"E{eid:07d};")
        update = self.doc.get_update(before)
        self.log.t_send[eid] = time.perf_counter()
        await self.ws.send(self.wire.update(update))

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 3)
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(BaseException):
                await self.reader


async def open_all(clients: list[Client]) -> float:
    """Open every client, a few at a time; return the p50 time to a synced document in ms."""
    gate = asyncio.Semaphore(CONNECT_PARALLEL)
    times: list[float] = []

    async def one(client: Client) -> None:
        async with gate:
            t0 = time.perf_counter()
            await client.open()
            times.append((time.perf_counter() - t0) * 1000)

    await asyncio.gather(*(one(c) for c in clients))
    return statistics.median(times) if times else 0.0


async def close_all(clients: Iterable[Client]) -> None:
    await asyncio.gather(*(c.close() for c in clients))


def make_client(
    server: ServerProcess,
    seed_: Seed,
    editor: int,
    doc_id: str,
    idx: int,
    log: EditLog,
    compression: str | None,
) -> Client:
    text_name = seed_.text_of.get(doc_id, TEXT_NAME)
    if isinstance(server, EenplanServer):
        return Client(
            idx,
            YWebsocketWire(doc_id),
            server.ws_url(doc_id),
            headers={"Cookie": seed_.editors[editor].cookie},
            origin=server.origin,
            log=log,
            compression=compression,
            text_name=text_name,
        )
    assert isinstance(server, HocuspocusServer)
    return Client(
        idx,
        HocuspocusWire(doc_id, HOCUSPOCUS_TOKEN),
        server.ws_url(doc_id),
        headers={},
        origin=None,
        log=log,
        compression=compression,
        text_name=text_name,
    )


# -- storage check after kill -9 --------------------------------------------------------------


def marks_in_state(state: bytes | None, text_name: str) -> set[int]:
    if not state:
        return set()
    doc = Doc()
    doc.apply_update(state)
    text = str(doc.get(text_name, type=Text))
    return {int(m) for m in re.findall(r"E(\d{7});", text)}


def stored_marks(server: ServerProcess, seed_: Seed, doc_ids: list[str]) -> dict[str, set[int]]:
    if isinstance(server, HocuspocusServer):
        return {
            d: marks_in_state(server.stored_state(d), seed_.text_of.get(d, TEXT_NAME))
            for d in doc_ids
        }
    assert isinstance(server, EenplanServer)
    from app.crdt.store import SqlDocumentStore
    from app.db import make_engine

    engine = make_engine(server.database_url)
    store = SqlDocumentStore(engine)
    try:
        return {
            d: marks_in_state(store._load_sync(d).state, seed_.text_of.get(d, TEXT_NAME))
            for d in doc_ids
        }
    finally:
        engine.dispose()


class LockHolder:
    """Another SQLite connection that takes the write lock every LOCK_EVERY seconds and holds
    it LOCK_HOLD seconds (a backup, a report), in a thread of its own."""

    def __init__(self, database_url: str) -> None:
        import threading

        self.path = database_url.removeprefix("sqlite:///")
        self.stop = threading.Event()
        self.held = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import sqlite3

        conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        while not self.stop.wait(LOCK_EVERY):
            conn.execute("BEGIN IMMEDIATE")
            time.sleep(LOCK_HOLD)
            conn.execute("COMMIT")
            self.held += 1
        conn.close()


@dataclass
class FloodStats:
    sent: int = 0
    closed: int = 0
    close_codes: list[int] = field(default_factory=list)


async def flood(
    server: ServerProcess, seed_: Seed, editor: int, doc_id: str, until: float, stats: FloodStats
) -> None:
    """Send presence states of FLOOD_STATE_BYTES as fast as the socket takes them; when the
    server closes the socket, connect again and go on (as an attacker would)."""
    import random

    client_id = random.randrange(1, 2**31)
    state = json.dumps({"junk": "x" * FLOOD_STATE_BYTES})
    clock = 0
    while time.perf_counter() < until:
        client = make_client(server, seed_, editor, doc_id, -1, EditLog(), None)
        try:
            await client.open()
        except Exception:
            await asyncio.sleep(0.05)
            continue
        assert client.ws is not None
        try:
            while time.perf_counter() < until:
                clock += 1
                await client.ws.send(
                    client.wire.awareness(awareness_payload(client_id, clock, state))
                )
                stats.sent += 1
                if stats.sent % 50 == 0:
                    await asyncio.sleep(0)  # let the editors' tasks run in this process too
        except Exception:
            stats.closed += 1
            if client.ws.close_code is not None:
                stats.close_codes.append(client.ws.close_code)
        finally:
            await client.close()


# -- one load against one server --------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


@dataclass
class RunResult:
    server: str
    load: str
    title: str
    connections: int
    duration_s: float
    measured_s: float
    edits_sent: int
    deliveries_expected: int
    deliveries_missing: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    samples: int
    server_cpu_pct: float
    server_main_thread_pct: float
    server_busiest_other_thread_pct: float
    server_rss_start_mb: float
    server_rss_end_mb: float
    server_rss_peak_mb: float
    client_cpu_pct: float
    connect_p50_ms: float
    stored_after_kill: int
    seen_but_not_stored: int
    client_errors: int
    extensions: str
    load_average: tuple[float, float, float]
    lock_holds: int = 0
    flood_messages: int = 0
    flood_closes: int = 0
    flood_close_codes: str = ""


async def run_load(
    server: ServerProcess,
    seed_: Seed,
    load: Load,
    *,
    duration: float,
    warmup: float,
    compression: str | None,
) -> RunResult:
    docs = seed_.docs[load.docs_key]
    duration = load.duration or duration
    log = EditLog()
    clients: list[Client] = []
    by_doc: dict[str, list[Client]] = {}
    for doc_id, editors in docs:
        for editor in editors[: load.editors_per_doc]:
            client = make_client(server, seed_, editor, doc_id, len(clients), log, compression)
            clients.append(client)
            by_doc.setdefault(doc_id, []).append(client)
    server.start()
    try:
        connect_p50 = await open_all(clients)
        await asyncio.sleep(1.0)
        rss_start = rss_bytes(server.pid)
        loop = asyncio.get_running_loop()
        t_start = time.perf_counter() + 0.2
        t_end = t_start + duration
        t_measure = t_start + warmup
        n_editors = len(clients)

        async def editor_loop(client: Client, peers: int, phase: float) -> None:
            k = 0
            while k < 10_000:
                t_next = t_start + phase + k / load.rate
                if t_next >= t_end:
                    return
                delay = t_next - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                if client.error:
                    return
                eid = log.new_edit(client.idx, client.wire.doc_name, peers, t_next >= t_measure)
                try:
                    await client.edit(eid)
                except Exception as exc:
                    client.error = client.error or repr(exc)
                    return
                k += 1

        rss_samples: list[int] = []
        cpu = CpuMeter(server.pid)
        client_t0 = cpu_ticks(os.getpid())

        async def sample_rss() -> None:
            while time.perf_counter() < t_end:
                rss_samples.append(rss_bytes(server.pid))
                await asyncio.sleep(0.5)

        # Spread editors evenly over one period so they do not all send at the same instant.
        holder = LockHolder(seed_.database_url) if load.lock else None
        if holder is not None:
            holder.thread.start()
        flood_stats = FloodStats()
        flood_task = None
        if load.flooder:
            flood_doc, flood_editors = docs[0]
            flood_task = asyncio.create_task(
                flood(server, seed_, max(flood_editors) + 1, flood_doc, t_end, flood_stats)
            )
        tasks = [
            asyncio.create_task(
                editor_loop(c, len(by_doc[c.wire.doc_name]) - 1, (i / n_editors) / load.rate)
            )
            for i, c in enumerate(clients)
        ]
        await asyncio.sleep(max(0.0, t_measure - time.perf_counter()))
        cpu.start()
        client_cpu_t0 = time.perf_counter()
        client_t0 = cpu_ticks(os.getpid())
        sampler = asyncio.create_task(sample_rss())
        await asyncio.gather(*tasks)
        server_cpu = cpu.percent()
        main_thread, other_thread = cpu.by_thread()
        client_cpu = (
            100.0
            * (cpu_ticks(os.getpid()) - client_t0)
            / os.sysconf("SC_CLK_TCK")
            / (time.perf_counter() - client_cpu_t0)
        )
        measured_s = time.perf_counter() - client_cpu_t0
        await sampler
        if flood_task is not None:
            await flood_task
        if holder is not None:
            holder.stop.set()
            await asyncio.to_thread(holder.thread.join, 30)
        rss_end = rss_bytes(server.pid)
        # Drain: until every peer has every edit, at most DRAIN_TIMEOUT.
        deadline = loop.time() + DRAIN_TIMEOUT
        while log.missing() > 0 and loop.time() < deadline:  # noqa: ASYNC110 (bounded poll)
            await asyncio.sleep(0.05)
        errors = sum(1 for c in clients if c.error)
        # Crash the server right away and look at what it stored.
        server.kill()
        stored = stored_marks(server, seed_, list(by_doc))
    finally:
        server.kill()
        await close_all(clients)

    seen = {eid for eid, n in log.received.items() if n > 0}
    stored_ids = {
        eid for doc_id, marks in stored.items() for eid in marks if log.doc_of.get(eid) == doc_id
    }
    lat = log.latencies_ms
    return RunResult(
        server=server.kind,
        load=load.key,
        title=load.title,
        connections=len(clients),
        duration_s=duration,
        measured_s=round(measured_s, 1),
        edits_sent=len(log.t_send),
        deliveries_expected=sum(log.expected.values()),
        deliveries_missing=log.missing(),
        p50_ms=percentile(lat, 50),
        p90_ms=percentile(lat, 90),
        p99_ms=percentile(lat, 99),
        max_ms=max(lat) if lat else float("nan"),
        samples=len(lat),
        server_cpu_pct=server_cpu,
        server_main_thread_pct=main_thread,
        server_busiest_other_thread_pct=other_thread,
        server_rss_start_mb=rss_start / MB,
        server_rss_end_mb=rss_end / MB,
        server_rss_peak_mb=max(rss_samples, default=rss_end) / MB,
        client_cpu_pct=client_cpu,
        connect_p50_ms=connect_p50,
        stored_after_kill=len(stored_ids & set(log.t_send)),
        seen_but_not_stored=len(seen - stored_ids),
        client_errors=errors,
        extensions=clients[0].extensions if clients else "",
        load_average=load_average(),
        lock_holds=holder.held if holder is not None else 0,
        flood_messages=flood_stats.sent,
        flood_closes=flood_stats.closed,
        flood_close_codes=",".join(sorted({str(c) for c in flood_stats.close_codes})),
    )


# -- memory per idle connection and per open document -----------------------------------------


@dataclass
class MemoryResult:
    server: str
    idle_connections: int
    per_connection_kb: float
    open_documents: int
    per_document_kb: float
    per_document_with_connection_kb: float
    rss_base_mb: float


async def settle_rss(pid: int, seconds: float = 2.0) -> int:
    await asyncio.sleep(seconds)
    samples = []
    for _ in range(5):
        samples.append(rss_bytes(pid))
        await asyncio.sleep(0.2)
    return int(statistics.median(samples))


async def memory_probe(
    server: ServerProcess, seed_: Seed, *, n_conns: int, compression: str | None
) -> MemoryResult:
    log = EditLog()
    big_doc, big_editors = seed_.docs["A"][0]
    b_docs = seed_.docs["B"]
    idle = [
        make_client(server, seed_, big_editors[i % len(big_editors)], big_doc, i, log, compression)
        for i in range(n_conns + 1)
    ]
    per_doc = [
        make_client(server, seed_, editors[0], doc_id, n_conns + 1 + i, log, compression)
        for i, (doc_id, editors) in enumerate(b_docs)
    ]
    server.start()
    try:
        # Warm up code paths, then hold the big document open with one connection.
        await open_all(idle[:1])
        base = await settle_rss(server.pid)
        await open_all(idle[1:])
        with_conns = await settle_rss(server.pid)
        await open_all(per_doc)
        with_docs = await settle_rss(server.pid)
    finally:
        await close_all(idle + per_doc)
        server.stop()
    per_conn = (with_conns - base) / n_conns / 1024
    per_doc_conn = (with_docs - with_conns) / len(per_doc) / 1024
    return MemoryResult(
        server=server.kind,
        idle_connections=n_conns,
        per_connection_kb=per_conn,
        open_documents=len(per_doc),
        per_document_kb=per_doc_conn - per_conn,
        per_document_with_connection_kb=per_doc_conn,
        rss_base_mb=base / MB,
    )


# -- report -----------------------------------------------------------------------------------


def report(runs: list[RunResult], memory: list[MemoryResult]) -> str:
    lines = []
    for load in LOADS:
        rows = [r for r in runs if r.load == load.key]
        if not rows:
            continue
        lines.append(f"\n**Load {load.key}: {load.title}** ({rows[0].connections} connections)\n")
        lines.append(
            "| server | p50 ms | p90 ms | p99 ms | max ms | edits sent | deliveries missing | "
            "stored after kill -9 | seen by a peer, not stored | server CPU % (main thread) | "
            "server RSS MB (start → end) | client CPU % |"
        )
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            lines.append(
                f"| {r.server} | {r.p50_ms:.2f} | {r.p90_ms:.2f} | {r.p99_ms:.2f} | "
                f"{r.max_ms:.1f} | {r.edits_sent} | {r.deliveries_missing} | "
                f"{r.stored_after_kill} / {r.edits_sent} | {r.seen_but_not_stored} | "
                f"{r.server_cpu_pct:.0f} ({r.server_main_thread_pct:.0f}) | "
                f"{r.server_rss_start_mb:.0f} → "
                f"{r.server_rss_end_mb:.0f} | {r.client_cpu_pct:.0f} |"
            )
    if memory:
        lines.append("\n**Memory**\n")
        lines.append(
            "| server | base RSS MB | per idle connection KB | per open document KB "
            "(excl. its connection) | per open document + 1 connection KB |"
        )
        lines.append("|---|---|---|---|---|")
        for m in memory:
            lines.append(
                f"| {m.server} | {m.rss_base_mb:.0f} | {m.per_connection_kb:.1f} "
                f"({m.idle_connections} conns) | {m.per_document_kb:.1f} | "
                f"{m.per_document_with_connection_kb:.1f} ({m.open_documents} docs) |"
            )
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    node = shutil.which("node")
    node_version = ""
    if node:
        import subprocess

        node_version = subprocess.run(
            [node, "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
    return {
        "python": platform.python_version(),
        "node": node_version,
        "cpus": os.cpu_count(),
        "pycrdt": version("pycrdt"),
        "uvicorn": version("uvicorn"),
        "websockets": version("websockets"),
        "platform": platform.platform(),
    }


async def main_async(args: argparse.Namespace) -> int:
    duration = 6.0 if args.quick else args.duration
    warmup = 1.0 if args.quick else 3.0
    compression = None if args.compression == "none" else "deflate"
    workdir = Path(tempfile.mkdtemp(prefix="eenplan-bench-"))
    print(f"work dir {workdir}; load average {load_average()}", flush=True)
    try:
        t0 = time.perf_counter()
        seed_ = seed(workdir, big_editors=50, pair_cases=200)
        print(f"seeded in {time.perf_counter() - t0:.1f} s", flush=True)
        signer = EenplanServer(workdir, seed_.database_url)
        signer.start()
        try:
            sign_in_all(seed_, signer.port)
        finally:
            signer.stop()
        print(
            f"{len(seed_.editors)} sign-ins, p50 {statistics.median(seed_.sign_in_ms):.0f} ms",
            flush=True,
        )
        hp_store = workdir / "hocuspocus-store"

        def servers() -> list[ServerProcess]:
            return [EenplanServer(workdir, seed_.database_url), HocuspocusServer(workdir, hp_store)]

        runs: list[RunResult] = []
        wanted = args.loads.split(",")
        selected = [load for load in LOADS if load.key in wanted]
        for n, load in enumerate(selected):
            order = servers() if n % 2 == 0 else servers()[::-1]
            for server in [s for s in order if s.kind in load.servers]:
                print(f"load {load.key} on {server.kind} ({load.title}) …", flush=True)
                result = await run_load(
                    server, seed_, load, duration=duration, warmup=warmup, compression=compression
                )
                runs.append(result)
                print(
                    f"  p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, "
                    f"missing {result.deliveries_missing}, stored {result.stored_after_kill}"
                    f"/{result.edits_sent}, cpu {result.server_cpu_pct:.0f} %, "
                    f"rss {result.server_rss_end_mb:.0f} MB, errors {result.client_errors}, "
                    f"ext '{result.extensions}', load avg {result.load_average[0]:.2f}"
                    + (f", lock held {result.lock_holds}×" if load.lock else "")
                    + (
                        f", flooder sent {result.flood_messages}, closed "
                        f"{result.flood_closes}× ({result.flood_close_codes})"
                        if load.flooder
                        else ""
                    ),
                    flush=True,
                )
        memory: list[MemoryResult] = []
        if not args.skip_memory:
            for server in servers():
                print(f"memory probe on {server.kind} …", flush=True)
                memory.append(
                    await memory_probe(
                        server,
                        seed_,
                        n_conns=200 if args.quick else 500,
                        compression=compression,
                    )
                )
        print(report(runs, memory))
        if args.json:
            await asyncio.to_thread(
                Path(args.json).write_text,
                json.dumps(
                    {
                        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
                        "machine": machine(),
                        "quick": args.quick,
                        "compression": args.compression,
                        "sign_in_ms": seed_.sign_in_ms,
                        "runs": [asdict(r) for r in runs],
                        "memory": [asdict(m) for m in memory],
                    },
                    indent=2,
                ),
            )
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="~6 s per load instead of 25 s")
    parser.add_argument("--duration", type=float, default=25.0, help="seconds of edits per load")
    parser.add_argument(
        "--loads",
        default="A,B,C,A+lock,D0,D,E,E+lock",
        help="which loads to run, comma-separated (default: all)",
    )
    parser.add_argument(
        "--compression",
        choices=("deflate", "none"),
        default="deflate",
        help="what the clients offer: deflate (like browsers) or nothing",
    )
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--json", help="also write the raw results to this file")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
