"""Seeded, bounded fuzzing of the WebSocket: hostile frames at three documents while honest
people type in them and in another. The server stays up, the other document is untouched,
nobody honest is closed, and every document stays intact: readable, and as stored."""

from __future__ import annotations

import itertools
from collections import Counter
from contextlib import ExitStack

from pycrdt import Doc, Text
from sqlmodel import Session, select

from app.crdt.schema import read_document
from app.crdt.server import RoomServer
from app.crdt.store import merge_into_doc
from app.models import DocumentUpdate, Section
from tests.conftest import Family
from tests.crdt.conftest import Connect, doc_id_of
from tests.crdt.wire_fuzzer import SECTIONS, frames
from tests.crdt.yclient import YClient, receive

FRAMES_PER_DOCUMENT = 400
SEED = 20261130


def stored(db: Session, doc_id: str) -> Doc:
    db.expire_all()
    rows = db.exec(
        select(DocumentUpdate)
        .where(DocumentUpdate.document_id == doc_id)
        .order_by(DocumentUpdate.id)  # type: ignore[arg-type]
    ).all()
    return merge_into_doc(r.update for r in rows)


def test_hostile_frames_break_nothing_and_nobody_else(
    connect: Connect, family: Family, db: Session, rooms: RoomServer
) -> None:
    rooms.limits.max_messages_per_second = 100_000.0  # fuzz the parser, not the rate limit
    attacked = {s: doc_id_of(db, family, Section(s)) for s in SECTIONS}
    story = doc_id_of(db, family, Section.verhaal, owner="jongere")
    outcomes: Counter[str] = Counter()
    with (
        connect(family.user("jongere"), story) as ws_story,
        connect(family.user("specialist"), attacked["analyse"]) as ws_honest,
    ):
        writer = YClient(ws_story, field="hulpvraag").sync()
        honest = YClient(ws_honest).sync()
        for section, doc_id in attacked.items():
            stream = frames(SEED + len(section), section)
            socket = ExitStack()
            ws = None
            for n, frame in enumerate(itertools.islice(stream, FRAMES_PER_DOCUMENT)):
                if ws is None:
                    socket = ExitStack()
                    ws = socket.enter_context(connect(family.user("moeder"), doc_id))
                    YClient(ws).sync()
                if frame.text is not None:
                    ws.send_text(frame.text)
                else:
                    ws.send_bytes(frame.data)
                # Each frame either closes the socket or is answered in order.
                ws.send_bytes(bytes([0, 0, 1, 0]))  # a SyncStep1 of an empty state vector
                while True:
                    message = receive(ws)
                    if message["type"] == "websocket.close":
                        outcomes[f"closed {message.get('code')}"] += 1
                        socket.close()
                        ws = None
                        break
                    if message.get("bytes", b"")[:2] == bytes([0, 1]):
                        outcomes["kept open"] += 1
                        break
                if n % 50 == 0:
                    writer.type(f"<{section}{n}>")
                    honest.type(".")
            socket.close()
        writer.barrier()
        honest.barrier()
        assert writer.closed_with is None and honest.closed_with is None
        expected = "".join(f"<{s}{n}>" for s in SECTIONS for n in range(0, FRAMES_PER_DOCUMENT, 50))
        assert writer.content() == expected
    # Every attacked document is intact: the server's copy equals the stored one and reads.
    for section, doc_id in attacked.items():
        room = rooms.rooms.get(doc_id)
        on_disk = stored(db, doc_id)
        if room is not None:
            live = Doc()
            live.apply_update(room.doc.get_update())
            assert read_document(section, live) == read_document(section, on_disk)
        read_document(section, on_disk)
    assert str(stored(db, story).get("hulpvraag", type=Text)) == expected
    assert "closed 1011" not in outcomes, outcomes  # nothing a client sends is our error
    assert outcomes["kept open"] > 100, outcomes
    assert sum(n for k, n in outcomes.items() if k.startswith("closed")) > 100, outcomes
