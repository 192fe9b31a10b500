"""Room and room-server rules with a store whose writes the test completes by hand."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from pycrdt import Doc, Text
from sqlmodel import Session, func, select

from app.crdt.connection import Connection
from app.crdt.policy import Access, Admitted, Identity
from app.crdt.protocol import (
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    create_update_message,
    parse_message,
)
from app.crdt.pubsub import InProcessPubSub
from app.crdt.room import Room
from app.crdt.server import RoomConfig, RoomServer
from app.crdt.store import LoadedDocument
from app.db import make_engine
from app.live import make_room_server
from app.models import DocumentUpdate, Section
from app.services.access_bus import AccessBus
from app.settings import Settings
from tests.conftest import Family
from tests.crdt.conftest import doc_id_of


class HeldStore:
    """A DocumentStore whose appends stay pending until ``release()``."""

    def __init__(self) -> None:
        self.pending: list[tuple[bytes, asyncio.Future[None]]] = []
        self.stored: list[bytes] = []
        self.loads = 0

    async def load(self, doc_id: str) -> LoadedDocument:
        self.loads += 1
        for _ in range(5):  # give a concurrent opener every chance to slip in
            await asyncio.sleep(0)
        doc = Doc(skip_gc=True)
        for update in self.stored:
            doc.apply_update(update)
        return LoadedDocument(doc.get_update(), len(self.stored))

    async def load_clients(self, doc_id: str) -> dict[int, int | None]:
        return {}

    @property
    def healthy(self) -> bool:
        return True

    def append(
        self,
        doc_id: str,
        update: bytes,
        *,
        author_user_id: int | None,
        new_clients: tuple[int, ...] = (),
    ) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending.append((update, future))
        return future

    def release(self) -> None:
        for update, future in self.pending:
            self.stored.append(update)
            future.set_result(None)
        self.pending.clear()

    async def compact(self, doc_id: str) -> None:
        return None

    async def close(self) -> None:
        self.release()


def run(scenario: Coroutine[Any, Any, None]) -> None:
    """Run a scenario; a bounded wait turns a hang (a test that failed) into a failure."""
    asyncio.run(asyncio.wait_for(scenario, timeout=10))


class RecordingSocket:
    """Stands in for a WebSocket: keeps what was sent, in order."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    async def send_bytes(self, data: bytes) -> None:
        self.sent.append(data)


def make_conn(user_id: int = 1, access: Access = "edit") -> Connection:
    identity = Identity(user_id, f"Persoon {user_id}", "jongere", user_id, "case")
    return Connection(
        websocket=RecordingSocket(),  # type: ignore[arg-type]
        doc_id="doc",
        identity=identity,
        access=access,
    )


def sent(conn: Connection) -> list[Any]:
    """What the connection sent since the last call (nothing here waits, so nothing queues)."""
    socket: RecordingSocket = conn.websocket  # type: ignore[assignment]
    messages = [parse_message(data) for data in socket.sent]
    socket.sent.clear()
    return messages


def edit(text: str) -> bytes:
    doc = Doc()
    doc.get("krachten", type=Text).insert(0, text)
    return doc.get_update()


def make_room(store: HeldStore) -> Room:
    return Room(
        "doc", LoadedDocument(b"", 0), store=store, publish=lambda *args: None, section="analyse"
    )


def test_an_update_is_relayed_only_after_it_is_stored() -> None:
    async def scenario() -> None:
        store = HeldStore()
        room = make_room(store)
        writer, reader = make_conn(1), make_conn(2)
        room.join(writer)
        room.join(reader)
        sent(reader), sent(writer)
        update = edit("hallo")
        task = asyncio.create_task(room.receive(writer, SyncUpdate(update)))
        await asyncio.sleep(0)
        assert sent(reader) == []  # applied, not yet stored: nobody sees it
        assert not task.done()  # the writer's next message waits too
        store.release()
        await task
        assert sent(reader) == [SyncUpdate(store.stored[0])]
        assert sent(writer) == []  # no echo to the author

    run(scenario())


def test_a_sync_answer_holds_only_what_is_stored() -> None:
    async def scenario() -> None:
        store = HeldStore()
        room = make_room(store)
        writer, joiner = make_conn(1), make_conn(2)
        room.join(writer)
        asyncio.create_task(room.receive(writer, SyncUpdate(edit("geheim nog niet veilig"))))
        await asyncio.sleep(0)
        room.join(joiner)
        sent(joiner)
        await room.receive(joiner, SyncStep1(Doc().get_state()))
        answers = sent(joiner)
        assert [type(m) for m in answers] == [SyncStep2]
        check = Doc()
        check.apply_update(answers[0].update)
        assert str(check.get("krachten", type=Text)) == ""  # not stored yet: not shown
        store.release()
        await room.settled()
        await asyncio.sleep(0)  # the store's callbacks run on the next turn
        # Once stored, it comes as an update like to everyone else.
        relayed = [m for m in sent(joiner) if isinstance(m, SyncUpdate)]
        assert len(relayed) == 1
        check.apply_update(relayed[0].update)
        assert str(check.get("krachten", type=Text)) == "geheim nog niet veilig"

    run(scenario())


def test_the_store_gets_what_the_doc_committed_not_the_bytes_received() -> None:
    async def scenario() -> None:
        store = HeldStore()
        room = make_room(store)
        writer = make_conn(1)
        room.join(writer)
        known = Doc()
        text = known.get("krachten", type=Text)
        text.insert(0, "al bekend")
        first = known.get_update()
        task = asyncio.create_task(room.receive(writer, SyncUpdate(first)))
        await asyncio.sleep(0)
        store.release()
        await task
        text.insert(len(text), ", nieuw")
        both = known.get_update()  # repeats the first change and adds a new one
        task = asyncio.create_task(room.receive(writer, SyncUpdate(both)))
        await asyncio.sleep(0)
        store.release()
        await task
        assert store.stored[0] == first
        assert store.stored[1] != both
        assert len(store.stored[1]) < len(both)
        replay = Doc()
        for update in store.stored:
            replay.apply_update(update)
        assert str(replay.get("krachten", type=Text)) == "al bekend, nieuw"

    run(scenario())


def test_a_view_only_connection_neither_changes_nor_stores_the_document() -> None:
    async def scenario() -> None:
        store = HeldStore()
        room = make_room(store)
        viewer, editor = make_conn(1, "view"), make_conn(2)
        room.join(viewer)
        room.join(editor)
        sent(editor)
        await room.receive(viewer, SyncUpdate(edit("mag niet")))
        await room.receive(viewer, SyncStep2(edit("ook niet")))
        assert store.pending == [] and store.stored == []
        assert sent(editor) == []
        assert str(room.doc.get("krachten", type=Text)) == ""

    run(scenario())


def test_rights_are_per_connection_not_per_room() -> None:
    async def scenario() -> None:
        store = HeldStore()
        room = make_room(store)
        editor, viewer = make_conn(1), make_conn(2, "view")
        room.join(editor)
        room.join(viewer)  # the last one to join is a viewer: the editor must still write
        task = asyncio.create_task(room.receive(editor, SyncUpdate(edit("mag wel"))))
        await asyncio.sleep(0)
        store.release()
        await task
        assert len(store.stored) == 1

    run(scenario())


class EveryoneEdits:
    """An access policy for room-server tests that are not about access."""

    def admit(self, session_token: str | None, doc_id: str) -> int:
        raise AssertionError("not used here")

    def recheck(self, connections: list[tuple[Identity, str]]) -> list[Admitted]:
        return [Admitted(identity, "edit") for identity, _ in connections]

    def section_of(self, doc_id: str) -> str:
        return "analyse"


def make_server(store: HeldStore) -> RoomServer:
    return RoomServer(
        policy=EveryoneEdits(),  # type: ignore[arg-type]
        store=store,  # type: ignore[arg-type]
        pubsub=InProcessPubSub(),
        config=RoomConfig(unload_after_seconds=0),
    )


def test_two_connections_opening_a_new_room_at_once_load_it_once() -> None:
    async def scenario() -> None:
        store = HeldStore()
        server = make_server(store)
        await server.start()
        first, second = await asyncio.wait_for(
            asyncio.gather(server._acquire("doc"), server._acquire("doc")), timeout=10
        )
        assert first is second
        assert store.loads == 1
        server._release(first)
        server._release(second)
        await server.stop()

    run(scenario())


def test_a_room_is_unloaded_only_after_its_pending_write_is_stored() -> None:
    async def scenario() -> None:
        store = HeldStore()
        server = make_server(store)
        await server.start()
        room = await server._acquire("doc")
        writer = make_conn(1)
        room.join(writer)
        asyncio.create_task(room.receive(writer, SyncUpdate(edit("onderweg"))))
        await asyncio.sleep(0)
        room.leave(writer)
        server._release(room)
        unload = room.unload_task
        assert unload is not None
        for _ in range(20):
            await asyncio.sleep(0)
        assert server.rooms.get("doc") is room  # still waiting for the write
        store.release()
        await asyncio.wait_for(unload, timeout=10)
        assert "doc" not in server.rooms
        reopened = await server._acquire("doc")
        assert str(reopened.doc.get("krachten", type=Text)) == "onderweg"
        server._release(reopened)
        await server.stop()

    run(scenario())


def test_a_server_update_is_stored_before_live_connections_see_it() -> None:
    async def scenario() -> None:
        store = HeldStore()
        server = make_server(store)
        await server.start()
        room = await server._acquire("doc")
        reader = make_conn(2)
        room.join(reader)
        sent(reader)
        task = asyncio.create_task(
            server.apply_server_update("doc", edit("hersteld"), author_user_id=7)
        )
        for _ in range(5):
            await asyncio.sleep(0)
        assert sent(reader) == [] and not task.done()
        store.release()
        await task
        assert [type(m) for m in sent(reader)] == [SyncUpdate]
        state = await server.current_state("doc")
        check = Doc()
        check.apply_update(state)
        assert str(check.get("krachten", type=Text)) == "hersteld"
        room.leave(reader)
        server._release(room)
        await server.stop()

    run(scenario())


def test_create_update_message_roundtrips_through_the_parser() -> None:
    update = edit("x")
    assert parse_message(create_update_message(update)) == SyncUpdate(update)


def test_stop_stores_pending_writes_and_closes_connections_with_1001(
    settings: Settings, family: Family, db: Session
) -> None:
    doc_id = doc_id_of(db, family, Section.analyse)
    engine = make_engine(settings.database_url)

    async def scenario() -> Connection:
        server = make_room_server(engine, settings, AccessBus())
        await server.start()
        room = await server._acquire(doc_id)
        conn = make_conn(family.user("jongere").id or 0)
        room.join(conn)
        for word in ("een ", "twee ", "drie"):
            asyncio.create_task(room.receive(conn, SyncUpdate(edit(word))))
        await asyncio.sleep(0)
        await server.stop()
        return conn

    conn = asyncio.run(asyncio.wait_for(scenario(), timeout=30))
    engine.dispose()
    assert conn.close_code == 1001
    count = db.exec(
        select(func.count()).select_from(DocumentUpdate).where(DocumentUpdate.document_id == doc_id)
    ).one()
    assert count == 3
