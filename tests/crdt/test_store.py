"""The SQL document store on SQLite and PostgreSQL: the log, snapshots and loading."""

from __future__ import annotations

import asyncio
import threading

from pycrdt import Doc, Text
from sqlmodel import Session, func, select

from app.crdt.store import SqlDocumentStore
from app.db import make_engine
from app.models import DocumentSnapshot, DocumentUpdate, Section
from app.settings import Settings
from tests.conftest import Family
from tests.crdt.conftest import doc_id_of


def _edits(count: int) -> tuple[list[bytes], str]:
    doc = Doc()
    text = doc.get("text", type=Text)
    updates = []
    for i in range(count):
        before = doc.get_state()
        text.insert(len(text), f"{i},")
        if i % 7 == 3:
            del text[0:1]  # deletions too, so the snapshot must carry them
        updates.append(doc.get_update(before))
    return updates, str(text)


def _text(state: bytes) -> str:
    doc = Doc()
    doc.apply_update(state)
    return str(doc.get("text", type=Text))


def test_snapshot_plus_tail_loads_the_same_state_as_the_whole_log(
    settings: Settings, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.plan)
    updates, expected = _edits(30)
    engine = make_engine(settings.database_url)
    store = SqlDocumentStore(engine, compact_after=10_000)

    async def scenario() -> tuple[str, str]:
        for update in updates[:20]:
            await store.append(doc_id, update, author_user_id=family.user("jongere").id)
        await store.compact(doc_id)
        await asyncio.gather(*[store.append(doc_id, u, author_user_id=None) for u in updates[20:]])
        loaded = await store.load(doc_id)
        await store.close()
        return _text(loaded.state), str(loaded.updates_since_snapshot)

    text, tail = asyncio.run(scenario())
    engine.dispose()
    assert text == expected
    assert tail == "10"
    snapshot = db.exec(select(DocumentSnapshot)).one()
    assert _text(snapshot.state) == _edits(20)[1]
    count = db.exec(select(func.count()).select_from(DocumentUpdate)).one()
    assert count == 30  # compaction keeps the history


def test_compaction_starts_by_itself_past_the_threshold(
    settings: Settings, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    updates, expected = _edits(9)
    engine = make_engine(settings.database_url)
    store = SqlDocumentStore(engine, compact_after=4)

    async def scenario() -> str:
        for update in updates:
            await store.append(doc_id, update, author_user_id=None)
        await store.close()
        return _text((await store.load(doc_id)).state)

    assert asyncio.run(scenario()) == expected
    engine.dispose()
    snapshots = db.exec(select(DocumentSnapshot).order_by(DocumentSnapshot.id)).all()
    assert snapshots, "no snapshot was written past the threshold"
    for snapshot in snapshots:
        covered = db.exec(
            select(func.count())
            .select_from(DocumentUpdate)
            .where(DocumentUpdate.id <= snapshot.upto_update_id)  # type: ignore[operator]
        ).one()
        assert covered >= 4
        assert _text(snapshot.state) == _edits(covered)[1]


def test_an_append_to_a_missing_document_fails_without_failing_the_others(
    settings: Settings, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    updates, _ = _edits(2)
    engine = make_engine(settings.database_url)
    store = SqlDocumentStore(engine)

    async def scenario() -> list[BaseException | None]:
        results = await asyncio.gather(
            store.append(doc_id, updates[0], author_user_id=None),
            store.append("f" * 32, updates[1], author_user_id=None),
            return_exceptions=True,
        )
        await store.close()
        return list(results)

    good, bad = asyncio.run(scenario())
    engine.dispose()
    assert good is None
    assert isinstance(bad, Exception)
    assert db.exec(select(func.count()).select_from(DocumentUpdate)).one() == 1


def test_appends_do_not_wait_while_a_document_is_compacted(
    settings: Settings, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.plan)
    updates, expected = _edits(6)
    engine = make_engine(settings.database_url)
    # Through the writer thread (as on PostgreSQL), where compaction used to run too.
    store = SqlDocumentStore(engine, compact_after=2, fast_path=False)
    compacting = threading.Event()
    release = threading.Event()
    real_compact = store._compact_sync

    def slow_compact(doc: str) -> None:
        compacting.set()
        release.wait(10)
        real_compact(doc)

    store._compact_sync = slow_compact  # type: ignore[method-assign]

    async def scenario() -> str:
        for update in updates[:2]:
            await store.append(doc_id, update, author_user_id=None)
        assert await asyncio.to_thread(compacting.wait, 10)
        # The compaction is stuck; these appends are stored regardless.
        await asyncio.wait_for(
            asyncio.gather(*[store.append(doc_id, u, author_user_id=None) for u in updates[2:]]),
            timeout=5,
        )
        release.set()
        await store.close()
        return _text((await store.load(doc_id)).state)

    try:
        assert asyncio.run(scenario()) == expected
    finally:
        release.set()
        engine.dispose()
    assert db.exec(select(DocumentSnapshot)).all()
