"""The INSERT of update-log rows as plain DBAPI SQL for one database dialect.

Writing the log is the one statement on the path of every edit, so it skips SQLAlchemy's
per-execution work: the SQL is compiled once, and values go through the same conversions
SQLAlchemy itself would apply (e.g. how SQLite stores a datetime).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Dialect

from app.models import DocumentUpdate

COLUMNS = ("document_id", "update", "author_user_id", "created_at")


@dataclass(frozen=True)
class LogRow:
    """One committed CRDT update of a document, with who made it and when."""

    doc_id: str
    update: bytes
    author_user_id: int | None
    created_at: datetime

    def values(self) -> tuple[Any, ...]:
        return (self.doc_id, self.update, self.author_user_id, self.created_at)


class LogInsert:
    """``sql`` and the matching ``parameters`` for ``cursor.executemany``."""

    def __init__(self, dialect: Dialect) -> None:
        table: Table = DocumentUpdate.__table__  # type: ignore[attr-defined]
        # inline(): no RETURNING of the new ids, which executemany does not need.
        compiled = insert(table).inline().compile(dialect=dialect, column_keys=list(COLUMNS))
        self.sql = str(compiled)
        self._positional = bool(compiled.positional)
        order = list(compiled.positiontup or COLUMNS) if self._positional else list(COLUMNS)
        self._index = [COLUMNS.index(name) for name in order]
        self._names = order
        processors: list[Callable[[Any], Any] | None] = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in order
        ]
        self._processors = processors

    def parameters(self, rows: Sequence[LogRow]) -> list[Any]:
        out: list[Any] = []
        for row in rows:
            values = row.values()
            converted = [
                process(values[i]) if process is not None else values[i]
                for i, process in zip(self._index, self._processors, strict=True)
            ]
            if self._positional:
                out.append(tuple(converted))
            else:
                out.append(dict(zip(self._names, converted, strict=True)))
        return out
