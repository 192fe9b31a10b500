"""Durable storage of CRDT documents: an append-only update log plus compacted snapshots.

``DocumentStore`` is the small interface rooms depend on; ``SqlDocumentStore`` implements it on
SQLite and PostgreSQL. On SQLite an append first tries to commit at once on the event loop
(``SqliteFastPath``: a WAL commit without sync, ~20 µs, never waiting for a lock). Otherwise, and
always on PostgreSQL, it goes to one writer thread that commits whatever has queued up in a
single transaction (group commit) and then resolves each caller's future on its event loop. A
room relays an update only after its future resolved. The writer thread also runs WAL
checkpoints, so nothing that syncs to disk runs on the loop; compaction has a thread of its own,
so appends never wait while a document is compacted.

Compaction writes a snapshot (the state of every update up to an id) and keeps the update rows:
they are the history with authors. Loading is the newest snapshot plus the updates after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio
from pycrdt import Doc
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection, Engine, Row
from sqlmodel import col

from app.crdt.log_insert import LogInsert, LogRow
from app.crdt.sqlite_fast_path import SqliteFastPath
from app.models import Document, DocumentClient, DocumentSnapshot, DocumentUpdate, utcnow

log = logging.getLogger(__name__)

DEFAULT_COMPACT_AFTER = 500
MAX_BATCH = 500
MERGE_CHUNK = 500
CHECKPOINT_EVERY = 1000  # fast-path commits between two WAL checkpoints on the writer thread


@dataclass(frozen=True)
class LoadedDocument:
    """A document as stored: its whole state as one update, how many log rows follow the
    newest snapshot (the compaction counter starts there), and whose each Yjs client id is
    (user id; None for the server's own)."""

    state: bytes
    updates_since_snapshot: int
    clients: dict[int, int | None] = field(default_factory=dict)


class DocumentStore(Protocol):
    """Where rooms keep documents. ``append`` must be durable when its future resolves; a
    failed append fails its future and makes ``healthy`` False until an append succeeds."""

    async def load(self, doc_id: str) -> LoadedDocument: ...

    async def load_clients(self, doc_id: str) -> dict[int, int | None]: ...

    def append(
        self,
        doc_id: str,
        update: bytes,
        *,
        author_user_id: int | None,
        new_clients: tuple[int, ...] = (),
    ) -> asyncio.Future[None]: ...

    @property
    def healthy(self) -> bool: ...

    async def compact(self, doc_id: str) -> None: ...

    async def close(self) -> None: ...


def merge_into_doc(updates: Iterable[bytes]) -> Doc[Any]:
    """Apply stored updates to a fresh Doc that keeps deleted content (for version history).

    A row that no longer applies is logged and skipped: one bad row must not make the whole
    document unreadable.
    """
    doc: Doc[Any] = Doc(skip_gc=True)
    pending = list(updates)
    # Applying one update at a time costs more as the document grows; applying a few hundred
    # in one transaction integrates them together (100,000 edits: 3.3 s → 0.15 s). One huge
    # transaction is slow again, hence the chunks.
    for start in range(0, len(pending), MERGE_CHUNK):
        with doc.transaction():
            for update in pending[start : start + MERGE_CHUNK]:
                try:
                    doc.apply_update(update)
                except Exception:
                    log.exception("skipping a stored update that does not apply")
    return doc


def _newest_snapshot(conn: Connection, doc_id: str) -> Row[bytes, int] | None:
    """The newest snapshot's ``state`` and ``upto_update_id``, or None."""
    return conn.execute(
        select(col(DocumentSnapshot.state), col(DocumentSnapshot.upto_update_id))
        .where(col(DocumentSnapshot.document_id) == doc_id)
        .order_by(col(DocumentSnapshot.upto_update_id).desc())
        .limit(1)
    ).first()


def read_stored(conn: Connection, doc_id: str) -> tuple[list[bytes], int]:
    """What is stored for a document, in order: the newest snapshot (if any) and every update
    after it. Also returns how many updates follow the snapshot."""
    snapshot = _newest_snapshot(conn, doc_id)
    upto = snapshot.upto_update_id if snapshot else 0
    tail = list(
        conn.execute(
            select(col(DocumentUpdate.update))
            .where(col(DocumentUpdate.document_id) == doc_id, col(DocumentUpdate.id) > upto)
            .order_by(col(DocumentUpdate.id))
        ).scalars()
    )
    return ([snapshot.state] if snapshot else []) + tail, len(tail)


def read_clients(conn: Connection, doc_id: str) -> dict[int, int | None]:
    """Whose each Yjs client id of a document is (user id; None for the server)."""
    rows = conn.execute(
        select(col(DocumentClient.client_id), col(DocumentClient.user_id)).where(
            col(DocumentClient.document_id) == doc_id
        )
    ).all()
    return {int(row.client_id): row.user_id for row in rows}


def stored_doc(conn: Connection, doc_id: str) -> Doc[Any]:
    """The document as stored (for readers that do not go through a room, e.g. share pages)."""
    updates, _ = read_stored(conn, doc_id)
    return merge_into_doc(updates)


@dataclass
class _Append:
    row: LogRow
    future: asyncio.Future[None]
    loop: asyncio.AbstractEventLoop

    @property
    def doc_id(self) -> str:
        return self.row.doc_id


@dataclass(frozen=True)
class _Checkpoint:
    pass


_Job = _Append | _Checkpoint


@dataclass
class _Counters:
    since_snapshot: dict[str, int] = field(default_factory=dict)
    compaction_queued: set[str] = field(default_factory=set)
    fast_commits: int = 0


_STOP = object()


class SqlDocumentStore:
    """``DocumentStore`` on SQLAlchemy (SQLite or PostgreSQL), with one writer thread."""

    def __init__(
        self,
        engine: Engine,
        *,
        compact_after: int = DEFAULT_COMPACT_AFTER,
        fast_path: bool = True,
    ) -> None:
        self.engine = engine
        self.compact_after = compact_after
        self._insert_sql = LogInsert(engine.dialect)
        self._fast = SqliteFastPath.for_engine(engine, self._insert_sql) if fast_path else None
        self._queue: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._counters = _Counters()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._compactions: queue.SimpleQueue[str | object] = queue.SimpleQueue()
        self._compactor: threading.Thread | None = None
        self._conn: Connection | None = None
        # Appends handed to the writer thread and not yet settled on the loop. While there are
        # any, new appends queue behind them: a document's log keeps the order of its updates.
        self._in_writer = 0
        self._failing = False

    # -- public interface -------------------------------------------------------------------

    async def load(self, doc_id: str) -> LoadedDocument:
        """The newest snapshot plus every update after it, merged into one update."""
        return await anyio.to_thread.run_sync(self._load_sync, doc_id)

    async def load_clients(self, doc_id: str) -> dict[int, int | None]:
        """Whose each client id of the document is, as stored now (other nodes bind too)."""
        return await anyio.to_thread.run_sync(self._load_clients_sync, doc_id)

    @property
    def healthy(self) -> bool:
        """False while appends fail (the readiness check reports it)."""
        return not self._failing

    def append(
        self,
        doc_id: str,
        update: bytes,
        *,
        author_user_id: int | None,
        new_clients: tuple[int, ...] = (),
    ) -> asyncio.Future[None]:
        """Store an update (and bind ``new_clients`` to its author); the future resolves once
        it is committed (at once on the fast path)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        row = LogRow(doc_id, update, author_user_id, utcnow(), new_clients)
        if self._fast is not None and self._in_writer == 0 and self._fast.try_commit([row]):
            future.set_result(None)
            self._failing = False
            self._after_fast_commit(doc_id)
            return future
        self._in_writer += 1
        self._submit(_Append(row, future, loop))
        return future

    async def compact(self, doc_id: str) -> None:
        """Write a snapshot of everything stored so far for the document."""
        await anyio.to_thread.run_sync(self._compact_sync, doc_id)

    async def close(self) -> None:
        """Commit what is queued, finish queued compactions and stop both threads."""
        if self._fast is not None:
            self._fast.close()
        thread = self._thread
        if thread is not None:
            self._queue.put(_STOP)
            await anyio.to_thread.run_sync(thread.join)
            self._thread = None
        # After the writer: its last batch may have queued a compaction.
        compactor = self._compactor
        if compactor is not None:
            self._compactions.put(_STOP)
            await anyio.to_thread.run_sync(compactor.join)
            self._compactor = None

    # -- loading ----------------------------------------------------------------------------

    def _load_sync(self, doc_id: str) -> LoadedDocument:
        with self.engine.connect() as conn:
            updates, tail = read_stored(conn, doc_id)
            clients = read_clients(conn, doc_id)
        with self._lock:
            self._counters.since_snapshot[doc_id] = tail
        if len(updates) == 1:
            return LoadedDocument(updates[0], tail, clients)
        return LoadedDocument(merge_into_doc(updates).get_update(), tail, clients)

    def _load_clients_sync(self, doc_id: str) -> dict[int, int | None]:
        with self.engine.connect() as conn:
            return read_clients(conn, doc_id)

    # -- writing ----------------------------------------------------------------------------

    def _submit(self, job: _Job) -> None:
        self._ensure_writer()
        self._queue.put(job)

    def _after_fast_commit(self, doc_id: str) -> None:
        self._count_stored([doc_id])
        self._counters.fast_commits += 1
        if self._counters.fast_commits % CHECKPOINT_EVERY == 0:
            self._submit(_Checkpoint())

    def _count_stored(self, doc_ids: list[str]) -> None:
        """Count stored rows per document and queue a compaction for those past the limit."""
        due: list[str] = []
        with self._lock:
            counters = self._counters
            for doc_id in doc_ids:
                count = counters.since_snapshot.get(doc_id, 0) + 1
                counters.since_snapshot[doc_id] = count
                if count >= self.compact_after and doc_id not in counters.compaction_queued:
                    counters.compaction_queued.add(doc_id)
                    due.append(doc_id)
        for doc_id in due:
            self._ensure_compactor()
            self._compactions.put(doc_id)

    def _ensure_writer(self) -> None:
        if self._thread is None:
            self._thread = _started(self._writer_loop, "eenplan-doc-writer")

    def _ensure_compactor(self) -> None:
        # Called from the loop and from the writer thread.
        with self._lock:
            if self._compactor is None:
                self._compactor = _started(self._compact_until_stopped, "eenplan-doc-compactor")

    def _compact_until_stopped(self) -> None:
        while True:
            doc_id = self._compactions.get()
            if not isinstance(doc_id, str):
                return
            self._run_compaction(doc_id)

    def _writer_loop(self) -> None:
        # One connection for the thread's whole life: no pool checkout, reset and return per
        # batch. SQLAlchemy reconnects it by itself after the database dropped it.
        self._conn = self.engine.connect()
        try:
            self._write_until_stopped()
        finally:
            self._conn.close()
            self._conn = None

    def _write_until_stopped(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            jobs = [first]
            stop = False
            while len(jobs) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                jobs.append(item)
            appends = [j for j in jobs if isinstance(j, _Append)]
            if appends:
                self._write_batch(appends)
            if any(isinstance(job, _Checkpoint) for job in jobs):
                self._checkpoint()
            if stop:
                return

    def _write_batch(self, batch: list[_Append]) -> None:
        self._end_stray_transaction()
        try:
            self._insert(batch)
            results: list[BaseException | None] = [None] * len(batch)
        except Exception:
            # One bad row (say, a document deleted meanwhile) must not fail the others.
            log.exception("group commit failed; writing the updates one by one")
            results = []
            for item in batch:
                self._end_stray_transaction()
                try:
                    self._insert([item])
                    results.append(None)
                except Exception as exc:
                    log.error("storing an update of %s failed: %r", item.doc_id, exc)
                    results.append(exc)
        self._count_stored(
            [item.doc_id for item, r in zip(batch, results, strict=True) if r is None]
        )
        self._resolve(batch, results)

    def _end_stray_transaction(self) -> None:
        """A connection left inside a transaction (by a failed statement, say) would refuse
        every later ``begin()``: roll it back, so one failure never stops the writer."""
        conn = self._conn
        if conn is not None and conn.in_transaction():
            log.warning("the writer's connection was left in a transaction; rolling it back")
            with contextlib.suppress(Exception):
                conn.rollback()

    def _insert(self, batch: list[_Append]) -> None:
        conn = self._conn
        assert conn is not None
        with conn.begin():
            _lock_documents(conn, {item.doc_id for item in batch})
            for sql, parameters in self._insert_sql.statements([item.row for item in batch]):
                conn.exec_driver_sql(sql, parameters)

    def _run_compaction(self, doc_id: str) -> None:
        try:
            self._compact_sync(doc_id)
        except Exception:
            log.exception("compaction of document %s failed", doc_id)
        finally:
            with self._lock:
                self._counters.compaction_queued.discard(doc_id)

    def _checkpoint(self) -> None:
        """Move the WAL into the database file without waiting for anyone (SQLite only)."""
        conn = self._conn
        if conn is None or conn.dialect.name != "sqlite":
            return
        self._end_stray_transaction()
        try:
            # Inside begin()/commit: a bare statement would leave SQLAlchemy's transaction open
            # ("autobegin"), and the next append's begin() would fail.
            with conn.begin():
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").all()
        except Exception:
            log.exception("WAL checkpoint failed")

    def _resolve(self, batch: list[_Append], results: list[BaseException | None]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Append, BaseException | None]]] = {}
        for item, result in zip(batch, results, strict=True):
            by_loop.setdefault(item.loop, []).append((item, result))
        for loop, items in by_loop.items():
            # One call per loop keeps the futures resolving in the order they were queued; a
            # closed loop has nobody waiting any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._settle, items)

    def _settle(self, items: list[tuple[_Append, BaseException | None]]) -> None:
        self._in_writer -= len(items)
        for _item, error in items:
            self._failing = error is not None
        for item, error in items:
            if item.future.done():
                continue
            if error is None:
                item.future.set_result(None)
            else:
                item.future.set_exception(error)

    def _compact_sync(self, doc_id: str) -> None:
        # Read under the document's row lock: then no writer (on any node) has an uncommitted
        # update below the highest id read. Merging happens outside any transaction.
        with self.engine.begin() as conn:
            _lock_documents(conn, {doc_id})
            snapshot = _newest_snapshot(conn, doc_id)
            upto = snapshot.upto_update_id if snapshot else 0
            rows = conn.execute(
                select(col(DocumentUpdate.id), col(DocumentUpdate.update))
                .where(col(DocumentUpdate.document_id) == doc_id, col(DocumentUpdate.id) > upto)
                .order_by(col(DocumentUpdate.id))
            ).all()
        if rows:
            updates = ([snapshot.state] if snapshot else []) + [r.update for r in rows]
            state = merge_into_doc(updates).get_update()
            with self.engine.begin() as conn:
                conn.execute(
                    insert(DocumentSnapshot).values(
                        document_id=doc_id,
                        upto_update_id=rows[-1].id,
                        state=state,
                        created_at=utcnow(),
                    )
                )
        with self._lock:
            # Rows stored while this ran stay counted.
            counters = self._counters.since_snapshot
            counters[doc_id] = max(0, counters.get(doc_id, 0) - len(rows))


def _started(target: Callable[[], None], name: str) -> threading.Thread:
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread


def _lock_documents(conn: Connection, doc_ids: set[str]) -> None:
    """Serialise appends and compaction per document across nodes (a no-op on SQLite, where
    writes are serialised anyway). Sorted, so two batches never wait on each other in a ring."""
    if conn.dialect.name == "sqlite":
        return
    conn.execute(
        select(col(Document.id))
        .where(col(Document.id).in_(sorted(doc_ids)))
        .order_by(col(Document.id))
        .with_for_update()
    ).all()
