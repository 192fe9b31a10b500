"""The INSERTs of update-log rows (and of the client ids they bind) as plain DBAPI SQL.

Writing the log is the one statement on the path of every edit, so it skips SQLAlchemy's
per-execution work: the SQL is compiled once per dialect, and values go through the same
conversions SQLAlchemy itself would apply (e.g. how SQLite stores a datetime).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Dialect

from app.models import DocumentClient, DocumentUpdate

LOG_COLUMNS = ("document_id", "update", "author_user_id", "created_at")
CLIENT_COLUMNS = ("document_id", "client_id", "user_id", "created_at")


@dataclass(frozen=True)
class LogRow:
    """One committed CRDT update of a document, with who made it and when. ``new_clients``
    are the Yjs client ids it is the first to use: they are bound to ``author_user_id``
    (None: the server) in the same transaction."""

    doc_id: str
    update: bytes
    author_user_id: int | None
    created_at: datetime
    new_clients: tuple[int, ...] = ()

    def values(self) -> tuple[Any, ...]:
        return (self.doc_id, self.update, self.author_user_id, self.created_at)

    def client_values(self) -> list[tuple[Any, ...]]:
        return [
            (self.doc_id, client, self.author_user_id, self.created_at)
            for client in self.new_clients
        ]


class RowInsert:
    """``sql`` and the matching ``parameters`` for ``cursor.executemany`` on one table."""

    def __init__(self, dialect: Dialect, table: Table, columns: tuple[str, ...]) -> None:
        # inline(): no RETURNING of the new ids, which executemany does not need.
        compiled = insert(table).inline().compile(dialect=dialect, column_keys=list(columns))
        self.sql = str(compiled)
        self._positional = bool(compiled.positional)
        order = list(compiled.positiontup or columns) if self._positional else list(columns)
        self._index = [columns.index(name) for name in order]
        self._names = order
        processors: list[Callable[[Any], Any] | None] = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in order
        ]
        self._processors = processors

    def parameters(self, rows: Sequence[tuple[Any, ...]]) -> list[Any]:
        out: list[Any] = []
        for values in rows:
            converted = [
                process(values[i]) if process is not None else values[i]
                for i, process in zip(self._index, self._processors, strict=True)
            ]
            if self._positional:
                out.append(tuple(converted))
            else:
                out.append(dict(zip(self._names, converted, strict=True)))
        return out


class LogInsert:
    """The statements that store log rows: the rows, then the client ids they bind."""

    def __init__(self, dialect: Dialect) -> None:
        self.log = RowInsert(dialect, DocumentUpdate.__table__, LOG_COLUMNS)  # type: ignore[attr-defined]
        self.clients = RowInsert(
            dialect,
            DocumentClient.__table__,  # type: ignore[attr-defined]
            CLIENT_COLUMNS,
        )

    def statements(self, rows: Sequence[LogRow]) -> list[tuple[str, list[Any]]]:
        """``(sql, parameters)`` pairs to run with ``executemany``, in order."""
        out = [(self.log.sql, self.log.parameters([row.values() for row in rows]))]
        clients = [values for row in rows for values in row.client_values()]
        if clients:
            out.append((self.clients.sql, self.clients.parameters(clients)))
        return out
