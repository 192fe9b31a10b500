"""Seeded hostile WebSocket frames for the sync server: whole y-websocket messages, valid,
mutated or made up, carrying sync steps, updates and presence.

``frames(seed)`` yields an endless, reproducible stream. Each frame is one of: a valid frame of
each kind (a state vector, a fresh client's edit, a presence state, a presence query); a frame
mutated from those and from the hand-made updates of ``update_fuzzer`` (bits flipped, cut
short, bytes added or dropped, the message or sync type changed, a length prefix made huge);
random bytes; a text frame; an oversized presence. Used by ``test_fuzz_wire.py`` (bounded, in
the suite) and ``bench/fuzz_wire.py`` (100,000 frames against a real server).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass

from pycrdt import Array, Doc, Map, Text

from app.crdt.protocol import (
    AwarenessEntry,
    awareness_message,
    create_sync_step2_message,
    create_update_message,
)
from app.crdt.schema import root_kinds
from tests.crdt.craft import var_uint
from tests.crdt.update_fuzzer import make_session

SECTIONS = ("analyse", "plan", "perspectief")


@dataclass(frozen=True)
class Frame:
    """One WebSocket frame: ``data`` bytes, or ``text`` for a text frame."""

    kind: str
    data: bytes = b""
    text: str | None = None


def _honest_edit(rng: random.Random, section: str) -> bytes:
    """An edit of a fresh client: new content under a new client id (admitted)."""
    doc = Doc(skip_gc=True)
    roots = root_kinds(section)
    name = rng.choice(sorted(roots))
    kind = roots[name]
    if kind == "text":
        doc.get(name, type=Text).insert(0, rng.choice(["hallo ", "Ik wil 🙂 ", "x" * 40]))
    elif kind == "map":
        doc.get(name, type=Map)[rng.choice(["schaal_jongere", "status", "x"])] = rng.choice(
            [3.0, "actief", None, [1, 2]]
        )
    else:
        doc.get(name, type=Array).append(Map({"id": f"f{rng.random()}", "titel": Text("doel")}))
    return doc.get_update()


def _presence(rng: random.Random) -> bytes:
    state = rng.choice(
        [
            {"field": {"path": "krachten", "label": "Wat gaat goed?"}},
            {"user": {"name": "Iemand anders", "role": "aanspreekpunt"}},
            None,
            {"x": "y" * rng.randint(0, 2000)},
        ]
    )
    return awareness_message([AwarenessEntry(rng.randrange(1, 2**32), rng.randint(0, 9), state)])


def _valid(rng: random.Random, section: str) -> bytes:
    roll = rng.random()
    if roll < 0.2:
        sv = var_uint(1) + var_uint(rng.randrange(1, 2**32)) + var_uint(rng.randint(0, 50))
        return bytes([0, 0]) + var_uint(len(sv)) + sv
    if roll < 0.5:
        return create_update_message(_honest_edit(rng, section))
    if roll < 0.6:
        return create_sync_step2_message(_honest_edit(rng, section))
    if roll < 0.9:
        return _presence(rng)
    return bytes([3])  # query awareness


def _mutate(rng: random.Random, data: bytes) -> bytes:
    data = bytearray(data)
    how = rng.randrange(8)
    if how == 0 and data:
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
    elif how == 1 and len(data) > 1:
        del data[rng.randrange(1, len(data)) :]
    elif how == 2:
        data += bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    elif how == 3 and len(data) > 2:
        del data[rng.randrange(len(data))]
    elif how == 4 and data:
        data[0] = rng.choice([0, 1, 2, 3, 4, 7, 100, 0x80])
    elif how == 5 and len(data) > 1:
        data[1] = rng.choice([0, 1, 2, 3, 9, 0xFF])
    elif how == 6 and len(data) > 2:
        data[2:2] = b"\xff\xff\xff\xff\xff\xff\xff\x7f"  # a length prefix past everything
    else:
        data = bytearray(rng.randrange(256) for _ in range(rng.randint(0, 64)))
    return bytes(data)


def frames(seed: int, section: str) -> Iterator[Frame]:
    """An endless, reproducible stream of frames for a document of ``section``."""
    rng = random.Random(seed)
    hand_made: list[bytes] = []
    while True:
        roll = rng.random()
        if roll < 0.3:
            yield Frame("valid", _valid(rng, section))
        elif roll < 0.55:
            if not hand_made:
                session = make_session(rng)
                hand_made = [create_update_message(u) for u in session.steps] or [b"\x00"]
            yield Frame("hand-made update", hand_made.pop())
        elif roll < 0.95:
            yield Frame("mutated", _mutate(rng, _valid(rng, section)))
        elif roll < 0.98:
            yield Frame("text", text=json.dumps({"type": "sync", "doc": section}))
        else:
            big = {"junk": "x" * (16 * 1024)}
            entry = AwarenessEntry(rng.randrange(1, 2**32), 1, big)
            yield Frame("oversized presence", awareness_message([entry]))
