"""Committing update-log rows to SQLite on the event loop itself, when that costs nothing.

A WAL commit that does not sync (``synchronous=NORMAL``) is a write into the operating system's
cache: about 20 µs here, and it survives the process being killed. Handing the same commit to a
writer thread and back costs far more (two thread switches, both fighting for the GIL), so for
SQLite the store tries this path first. It never waits: the connection has no busy timeout, so
when another connection holds the write lock the attempt fails at once and the store falls back
to its writer thread. WAL checkpoints (which do sync) are left to the writer thread too:
this connection never checkpoints by itself.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Sequence

from sqlalchemy.engine import Engine

from app.crdt.log_insert import LogInsert, LogRow

log = logging.getLogger(__name__)


class SqliteFastPath:
    """One SQLite connection for the event loop's thread; ``try_commit`` never blocks on a lock."""

    def __init__(self, database_path: str, insert_: LogInsert) -> None:
        self.database_path = database_path
        self.insert = insert_
        self._conn: sqlite3.Connection | None = None

    @classmethod
    def for_engine(cls, engine: Engine, insert_: LogInsert) -> SqliteFastPath | None:
        """A fast path for a file-backed SQLite engine; None for anything else (PostgreSQL,
        in-memory databases that another connection would not see)."""
        if engine.dialect.name != "sqlite":
            return None
        path = engine.url.database
        if not path or path == ":memory:" or path.startswith("file:"):
            return None
        return cls(path, insert_)

    def try_commit(self, rows: Sequence[LogRow]) -> bool:
        """Insert and commit ``rows`` now; False (nothing written) if that is not possible
        without waiting, or failed for any reason the caller should handle on its slow path."""
        try:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error:
            return False  # the write lock is taken (or the database is unreachable)
        try:
            for sql, parameters in self.insert.statements(rows):
                conn.executemany(sql, parameters)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            log.debug("fast-path commit failed, the writer thread takes it: %r", exc)
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            return False
        return True

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(
                self.database_path, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")  # already so; a no-op that makes sure
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=0")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA wal_autocheckpoint=0")
            self._conn = conn
        return self._conn
