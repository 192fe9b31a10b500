"""The store's SQLite fast path: commit on the loop when the write lock is free, else queue."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from app.crdt.log_insert import LogInsert, LogRow
from app.crdt.sqlite_fast_path import SqliteFastPath
from app.crdt.store import SqlDocumentStore
from app.db import make_engine
from app.models import DocumentUpdate, Section
from app.settings import Settings
from tests.conftest import Family
from tests.crdt.conftest import doc_id_of

# The fast path exists only for SQLite (PostgreSQL always uses the writer thread).
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_log_rows_written_as_plain_sql_are_stored_exactly_like_orm_rows(
    settings: Settings, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.plan)
    when = datetime(2026, 11, 23, 21, 30, 5, 123456, tzinfo=UTC)
    author = family.user("moeder").id
    db.add(
        DocumentUpdate(
            document_id=doc_id, update=b"\x00\x01", author_user_id=author, created_at=when
        )
    )
    db.commit()
    engine = make_engine(settings.database_url)
    insert_ = LogInsert(engine.dialect)
    with engine.begin() as conn:
        for sql, parameters in insert_.statements([LogRow(doc_id, b"\x00\x01", author, when)]):
            conn.exec_driver_sql(sql, parameters)
        # As the database holds them, not as SQLAlchemy converts them back.
        raw = conn.exec_driver_sql(
            "SELECT document_id, author_user_id, CAST(created_at AS TEXT) FROM document_updates"
        ).all()
    engine.dispose()
    assert len(raw) == 2
    assert raw[0] == raw[1]
    rows = db.exec(select(DocumentUpdate).where(DocumentUpdate.document_id == doc_id)).all()
    assert [r.update for r in rows] == [b"\x00\x01", b"\x00\x01"]
    assert rows[1].created_at.replace(tzinfo=UTC) == when


@sqlite_only
def test_an_append_on_sqlite_is_committed_before_append_returns(
    settings: Settings, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.plan)
    engine = make_engine(settings.database_url)
    store = SqlDocumentStore(engine)

    async def scenario() -> tuple[bool, int]:
        future = store.append(doc_id, b"\x00\x00", author_user_id=None)
        done_at_once = future.done()
        # Another connection sees the row before the loop ran again.
        with sqlite3.connect(engine.url.database or "") as other:
            (count,) = other.execute(
                "SELECT count(*) FROM document_updates WHERE document_id = ?", (doc_id,)
            ).fetchone()
        await future
        await store.close()
        return done_at_once, count

    done_at_once, count = asyncio.run(scenario())
    engine.dispose()
    assert done_at_once
    assert count == 1


@sqlite_only
def test_a_held_write_lock_sends_appends_to_the_writer_thread_in_order(
    settings: Settings, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    engine = make_engine(settings.database_url)
    store = SqlDocumentStore(engine)
    updates = [bytes([0, 0, i]) for i in range(1, 6)]
    holder = sqlite3.connect(engine.url.database or "", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")

    async def scenario() -> list[bool]:
        first = [store.append(doc_id, u, author_user_id=None) for u in updates[:3]]
        waiting = [not f.done() for f in first]
        await asyncio.sleep(0.2)
        waiting += [not f.done() for f in first]
        holder.execute("COMMIT")
        # Queued behind the first three, although the lock is free again by now.
        rest = [store.append(doc_id, u, author_user_id=None) for u in updates[3:]]
        await asyncio.gather(*first, *rest)
        await store.close()
        return waiting

    waiting = asyncio.run(scenario())
    holder.close()
    engine.dispose()
    assert all(waiting)
    stored = db.exec(
        select(DocumentUpdate.update)
        .where(DocumentUpdate.document_id == doc_id)
        .order_by(DocumentUpdate.id)  # type: ignore[arg-type]
    ).all()
    assert list(stored) == updates


@sqlite_only
def test_a_failed_fast_commit_writes_nothing_and_the_connection_stays_usable(
    settings: Settings, family: Family, db: Session
) -> None:
    engine = make_engine(settings.database_url)
    fast = SqliteFastPath.for_engine(engine, LogInsert(engine.dialect))
    assert fast is not None
    missing = LogRow("f" * 32, b"\x00\x00", None, datetime.now(UTC))
    assert fast.try_commit([missing]) is False  # the document does not exist (foreign key)
    # The connection is usable again afterwards.
    good = LogRow(doc_id_of(db, family, Section.plan), b"\x00\x00", None, datetime.now(UTC))
    assert fast.try_commit([good]) is True
    fast.close()
    engine.dispose()
    assert len(db.exec(select(DocumentUpdate)).all()) == 1


def test_no_fast_path_for_postgresql_or_an_in_memory_database(settings: Settings) -> None:
    engine = make_engine("sqlite://")
    assert SqliteFastPath.for_engine(engine, LogInsert(engine.dialect)) is None
    engine.dispose()
    if settings.database_url.startswith("postgresql"):
        pg = make_engine(settings.database_url)
        assert SqliteFastPath.for_engine(pg, LogInsert(pg.dialect)) is None
        pg.dispose()


@sqlite_only
def test_appends_after_a_wal_checkpoint_still_go_through_the_writer_thread(
    settings: Settings, family: Family, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkpoint used to leave the writer's connection inside a transaction, so every
    later append that took the slow path failed ("already initialized a Transaction")."""
    monkeypatch.setattr("app.crdt.store.CHECKPOINT_EVERY", 3)
    doc_id = doc_id_of(db, family, Section.plan)
    engine = make_engine(settings.database_url)
    store = SqlDocumentStore(engine)
    holder = sqlite3.connect(engine.url.database or "", isolation_level=None)

    async def scenario() -> None:
        for round_ in range(3):
            # Fast commits until a checkpoint is due, then one that must take the slow path.
            for i in range(3):
                await store.append(doc_id, bytes([0, 0, round_, i]), author_user_id=None)
            await asyncio.sleep(0.05)  # the writer thread runs the checkpoint
            holder.execute("BEGIN IMMEDIATE")
            slow = store.append(doc_id, bytes([0, 0, round_, 9]), author_user_id=None)
            await asyncio.sleep(0.05)
            holder.execute("COMMIT")
            await slow
        await store.close()

    asyncio.run(scenario())
    holder.close()
    engine.dispose()
    assert (
        len(db.exec(select(DocumentUpdate).where(DocumentUpdate.document_id == doc_id)).all()) == 12
    )
