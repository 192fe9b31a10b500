"""A seeded fuzzer for the admission rules: hostile updates against realistic documents.

Each case is a short session of one attacker ("mallory") against a document of a section that
two other people wrote (emoji in texts, nested lists, deleted goals, map values). The attacker
sends up to three updates: hand-made ones (any client id, clock, neighbour, parent, content
kind and delete range, aimed at the places where yrs breaks: the ends of items, the halves of
emoji, nested types, map entries, the attacker's own earlier items), damaged copies of honest
updates, and honest pycrdt edits. The parent process reads and admits them the way a room
does (``read_update``, ``admit`` with ownership of client ids, ``KnownContent.add``).

Every update admission lets in is then applied in a worker process to a pycrdt document (no
garbage collection, like the rooms), which must neither panic, nor hang (the parent kills a
worker that takes too long), nor leave structs pending (the state vector must move exactly as
the index says). Afterwards every root is read (``read_document`` and ``to_py``), the whole
state is encoded and loaded into a fresh document, which must read the same; and every item in
it must sit in a place of the right kind (see ``check_shape``).

Used by ``tests/crdt/test_fuzz_updates.py`` (bounded, in the suite) and
``bench/fuzz_updates.py`` (long runs). ``python -m tests.crdt.update_fuzzer --worker`` is the
worker.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import json
import os
import random
import re
import select
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pycrdt import Array, Doc, Map, StickyIndex, Text

from app.crdt.admission import Ownership, UpdateRefused, admit
from app.crdt.known_content import KnownContent
from app.crdt.schema import read_document, root_kinds
from app.crdt.update_reader import (
    DELETED,
    GC,
    SKIP,
    TYPE,
    Y_ARRAY,
    Y_MAP,
    Y_TEXT,
    Id,
    Struct,
    UpdateFormatError,
    UpdateOutline,
    read_state_vector,
    read_update,
)
from tests.crdt import craft

ROOT = Path(__file__).resolve().parents[2]

WENDY = 1001  # wrote the document
SANNE = 1002  # edited it
MALLORY = 1003  # the attacker's first client id; she may take fresh ones too
OWNERS = {WENDY: "wendy", SANNE: "sanne"}
SECTIONS = ("plan", "perspectief", "analyse")
TYPE_KINDS = {Y_TEXT: "text", Y_ARRAY: "array", Y_MAP: "map"}

# Outcomes of a case in the worker; everything but OK is a failure when admission let it in.
OK = "ok"
PANIC = "panic"  # pycrdt raised PanicException
REJECTED = "rejected"  # yrs refused an admitted update with an error (harmless, but a mismatch)
PENDING = "pending"  # the state vector did not move as the index said
UNREADABLE = "unreadable"  # reading a root raised
RELOAD = "reload"  # the stored state loads into a document that differs
SHAPE = "shape"  # an item sits in a place of the wrong kind
DIVERGES = "diverges"  # reads differently when loaded again, after a reversed right neighbour
HANG = "hang"  # the worker did not answer in time
CRASH = "crash"  # the worker process died


# -- the documents -----------------------------------------------------------------------------


def boundaries(text: str) -> list[int]:
    """UTF-8 offsets between characters: pycrdt indexes texts in bytes and panics inside one."""
    return [0, *itertools.accumulate(len(char.encode()) for char in text)]


def _synced(*docs: Doc) -> None:
    for source in docs:
        for target in docs:
            if target is not source:
                target.apply_update(source.get_update(target.get_state()))


@cache
def base_state(section: str) -> bytes:
    """The document the attacker meets: written by Wendy, edited by Sanne (fixed client ids,
    so it is the same bytes on every run)."""
    wendy = Doc(client_id=WENDY, skip_gc=True)
    sanne = Doc(client_id=SANNE, skip_gc=True)
    if section == "plan":
        goals = wendy.get("doelen", type=Array)
        for title, action in (("Naar school 🙂 gaan", "Wekker 👍🏽 zetten"), ("Sporten", "Club")):
            goals.append(
                Map(
                    {
                        "id": title[:4],
                        "doel": Text(title),
                        "status": "actief",
                        "hypothesen": Array(["h1"]),
                        "acties": Array([Map({"id": "a" + title[:2], "wat": Text(action)})]),
                    }
                )
            )
        _synced(wendy, sanne)
        goal = sanne.get("doelen", type=Array)[0]
        goal["doel"].insert(0, "Elke dag ")
        title = goal["doel"]
        title.insert(len(title), " 🎒")
        goal["status"] = "gehaald"
        goal["acties"].append(Map({"id": "a2", "wat": Text("Tas 🎒 inpakken")}))
        del sanne.get("doelen", type=Array)[1]  # a deleted goal, with nested texts
    elif section == "perspectief":
        for group, text in (("wonen", "Thuis 🙂 wonen"), ("steun", "Oma helpt")):
            wendy.get(f"domein.{group}.norm", type=Text).insert(0, text)
            values = wendy.get(f"domein.{group}", type=Map)
            values["schaal_jongere"] = 3
            values["bijdrage.zelf"] = True
        _synced(wendy, sanne)
        norm = sanne.get("domein.wonen.norm", type=Text)
        norm.insert(len(norm), " 👍🏽")
        del norm[0:6]
        sanne.get("domein.wonen", type=Map)["zelfredzaamheid"] = 4
        sanne.get("domein.steun.wens_jongere", type=Text).insert(0, "Zelf 𝄞 koken")
    else:
        wendy.get("krachten", type=Text).insert(0, "Goed 🙂 in sport")
        wendy.get("zorgen", type=Array).append(
            Map({"id": "z1", "tekst": Text("Te laat 👍🏽"), "bron": Text("school")})
        )
        answers = wendy.get("herkenning", type=Map)
        answers["7"] = Map({"antwoord": "ja", "toelichting": Text("Klopt 🙂")})
        _synced(wendy, sanne)
        sanne.get("herkenning", type=Map)["8"] = Map({"antwoord": "deels"})
        del sanne.get("zorgen", type=Array)[0]
    _synced(wendy, sanne)
    return sanne.get_update()


@dataclass(frozen=True)
class Targets:
    """Ids in a base document worth aiming at."""

    ids: tuple[Id, ...]  # starts, ends and middles of items
    halves: tuple[Id, ...]  # second halves of surrogate pairs (and the clock before each)
    types: tuple[Id, ...]  # shared-type items (parents for nested content)
    clients: tuple[int, ...]


@cache
def targets(section: str) -> Targets:
    ids: set[Id] = set()
    halves: set[Id] = set()
    types: set[Id] = set()
    outline = read_update(base_state(section))
    for group in outline.groups:
        for s in group.structs:
            ids.update({(s.client, s.clock), (s.client, s.end - 1), (s.client, s.end)})
            if s.length > 2:
                ids.add((s.client, s.clock + s.length // 2))
            for half in s.inside_pairs:
                halves.update({(s.client, s.clock + half), (s.client, s.clock + half - 1)})
            if s.kind == TYPE:
                types.add((s.client, s.clock))
    return Targets(
        tuple(sorted(ids)),
        tuple(sorted(halves)),
        tuple(sorted(types)),
        tuple(g.client for g in outline.groups),
    )


# -- the attacker ------------------------------------------------------------------------------

WORDS = ["x", "ab", "é", "🙂", "a🙂b", "👍🏽", "𝄞x", " ", "中文"]
KEYS = ["id", "status", "doel", "acties", "schaal_jongere", "zelfredzaamheid", "7", "k", ""]
ROOT_NAMES = ["geheim", "doelen.x", ""]
VALUES: list[object] = [1, -5, 2**40, 1.5, "actief", "gehaald", True, None, b"\x00", [1, "a"], {}]


@dataclass
class Session:
    """One case: what the attacker sent, and what the room made of it."""

    section: str
    steps: list[bytes] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)  # "admitted", or the refusal
    admitted: list[bytes] = field(default_factory=list)
    states: list[dict[int, int]] = field(default_factory=list)  # index state after each
    honest: list[bool] = field(default_factory=list)


STALLED = "stalled"  # admission itself took too long (it runs on the room's event loop)
ADMISSION_TIME_LIMIT = 2.0


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise TimeoutError in the main thread when the block takes longer than ``seconds``."""

    def too_slow(_signal: int, _frame: object) -> None:
        raise TimeoutError(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Room:
    """The admission side of a room: index, ownership of client ids, nothing applied."""

    def __init__(self, section: str, base: bytes | None = None) -> None:
        self.section = section
        self.roots = root_kinds(section)
        self.known = KnownContent.of_state(base_state(section) if base is None else base)
        self.owners = dict(OWNERS)

    def owner_of(self, client: int) -> Ownership:
        owner = self.owners.get(client)
        if owner is None:
            return Ownership.FREE
        return Ownership.MINE if owner == "mallory" else Ownership.TAKEN

    def receive(self, update: bytes) -> str:
        try:
            with time_limit(ADMISSION_TIME_LIMIT):
                outline = read_update(update)
                new = admit(outline, self.known, roots=self.roots, owner_of=self.owner_of)
        except UpdateFormatError as exc:
            return f"malformed: {exc}"
        except UpdateRefused as exc:
            return f"refused: {exc.reason}"
        except TimeoutError:
            return f"{STALLED}: no answer within {ADMISSION_TIME_LIMIT} s"
        for client in new:
            self.owners[client] = "mallory"
        self.known.add(outline)
        return "admitted"


class Attacker:
    def __init__(self, rng: random.Random, room: Room) -> None:
        self.rng = rng
        self.room = room
        self.section = room.section
        self.targets = targets(self.section)
        self.clients = [MALLORY]
        # Honest edits of this session so far. Only these are applied here, in the parent
        # process: what else admission let in could hang it (that is the workers' job).
        self.honest_so_far: list[bytes] = []

    # The ids to aim at: the document's, the attacker's own, or anything.
    def pick_id(self, own: list[Id]) -> Id:
        rng = self.rng
        roll = rng.random()
        if roll < 0.45:
            return rng.choice(self.targets.ids)
        if roll < 0.65 and self.targets.halves:
            return rng.choice(self.targets.halves)
        if roll < 0.85:
            mine = own + [
                (c, self.room.known.next_clock(c) - 1)
                for c in self.clients
                if self.room.known.next_clock(c) > 0
            ]
            if mine:
                return rng.choice(mine)
        if roll < 0.92 and self.targets.types:
            return rng.choice(self.targets.types)
        return (rng.choice([*self.targets.clients, MALLORY, 4242]), rng.randrange(0, 60))

    def content(self) -> tuple[int, bytes, int]:
        """A kind of content, its encoding and its clock length."""
        rng = self.rng
        kind = rng.choices(
            ["string", "any", "type", "deleted", "format", "embed", "binary", "odd"],
            weights=[30, 25, 15, 10, 6, 5, 4, 5],
        )[0]
        if kind == "string":
            text = "".join(rng.choices(WORDS, k=rng.randint(1, 3)))
            return 4, craft.var_string(text), len(text.encode("utf-16-le")) // 2
        if kind == "any":
            items = rng.choices(VALUES, k=rng.randint(1, 3))
            return 8, craft.values(*items).content, len(items)
        if kind == "type":
            return 7, craft.var_uint(rng.choice([Y_ARRAY, Y_MAP, Y_TEXT, Y_TEXT])), 1
        if kind == "deleted":
            length = rng.choice([1, 2, 3, 7])
            return DELETED, craft.var_uint(length), length
        if kind == "format":
            return 6, craft.var_string("bold") + craft.var_string("true"), 1
        if kind == "embed":
            return 5, craft.var_string('{"image":"x"}'), 1
        if kind == "binary":
            return 3, craft.var_uint(2) + b"\x01\x02", 1
        odd = rng.choice(["doc", "xml", "gc", "skip", "huge", "json"])
        if odd == "doc":
            return 9, craft.var_string("sub") + craft.encode_any({}), 1
        if odd == "xml":
            return 7, craft.var_uint(3) + craft.var_string("p"), 1
        if odd == "gc":
            return GC, b"", rng.choice([1, 5, 10**6])
        if odd == "skip":
            return SKIP, b"", rng.choice([1, 5, 10**6])
        if odd == "huge":
            return DELETED, craft.var_uint(2**32 - 2), 2**32 - 2
        return 2, craft.var_uint(1) + craft.var_string("1"), 1

    def item(self, own: list[Id]) -> tuple[craft.Item, int]:
        rng = self.rng
        kind, content, length = self.content()
        if kind in (GC, SKIP):
            return craft.Item(kind, length=length), length
        item = craft.Item(kind, content)
        where = rng.choices(["origin", "right", "both", "root", "parent"], [30, 10, 25, 20, 15])[0]
        if where in ("origin", "both"):
            item.origin = self.pick_id(own)
        if where in ("right", "both"):
            item.right_origin = self.pick_id(own)
        if where == "root":
            roots = list(self.room.roots)
            item.parent_root = rng.choice(roots) if rng.random() < 0.9 else rng.choice(ROOT_NAMES)
        if where == "parent":
            types = self.targets.types
            item.parent_id = (
                rng.choice(types) if types and rng.random() < 0.7 else self.pick_id(own)
            )
        if where in ("root", "parent") and rng.random() < 0.5:
            item.parent_sub = rng.choice(KEYS)
        return item, length

    def crafted(self) -> bytes:
        rng = self.rng
        update = craft.Update()
        own: list[Id] = []
        used: set[int] = set()
        for _ in range(rng.choice([1, 1, 1, 2])):
            roll = rng.random()
            if roll < 0.7:
                client = rng.choice(self.clients)
            elif roll < 0.85:
                client = rng.randrange(5000, 6000)  # a fresh id
                self.clients.append(client)
            else:
                client = rng.choice(self.targets.clients)  # someone else's
            if client in used and rng.random() < 0.9:
                continue  # a client twice is malformed: now and then is enough
            used.add(client)
            end = self.room.known.next_clock(client)
            start_roll = rng.random()
            if start_roll < 0.6 or end == 0:
                start = end
            elif start_roll < 0.9:
                start = end - rng.randint(1, min(end, 4))  # overlaps what the doc has
            else:
                start = end + rng.randint(1, 3)  # after a gap
            items = []
            clock = start
            for _ in range(rng.choice([1, 1, 2, 3])):
                item, length = self.item(own)
                items.append(item)
                own.append((client, clock))
                clock += length
            if clock > start and rng.random() < 0.5:
                own.append((client, clock - 1))
            if rng.random() < 0.02:
                items = []  # an empty group
            update.add(client, start, *items)
        for _ in range(rng.choice([0, 0, 0, 1, 2])):
            aim = rng.choice(self.targets.halves + self.targets.ids + tuple(own))
            length = rng.choice([1, 1, 2, 3, 10**6])
            clock = aim[1] - rng.choice([0, 0, 1])
            update.delete(aim[0], max(clock, 0), length)
        return update.encode()

    def honest(self) -> bytes | None:
        """A real edit made with pycrdt on top of what the attacker has so far."""
        rng = self.rng
        doc = Doc(client_id=rng.choice(self.clients), skip_gc=True)
        doc.apply_update(base_state(self.section))
        for update in self.honest_so_far:
            doc.apply_update(update)
        made: list[bytes] = []
        doc.observe(lambda event: made.append(event.update))
        try:
            honest_edit(rng, self.section, doc)
        except BaseException as exc:  # a pycrdt index bug or a panic on odd content
            if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
                raise
            return None
        return made[0] if made else None

    def damaged(self) -> bytes:
        data = bytearray(self.honest() or self.crafted())
        for _ in range(self.rng.randint(1, 2)):
            at = self.rng.randrange(len(data))
            data[at] ^= 1 << self.rng.randrange(8)
        return bytes(data)


def honest_edit(rng: random.Random, section: str, doc: Doc) -> None:
    texts: list[Text] = []
    lists: list[Array] = []
    maps: list[Map] = []
    for name, kind in root_kinds(section).items():
        if kind == "text":
            texts.append(doc.get(name, type=Text))
        elif kind == "array":
            lists.append(doc.get(name, type=Array))
            for value in doc.get(name, type=Array):
                if isinstance(value, Map):
                    maps.append(value)
                    texts += [v for v in value.values() if isinstance(v, Text)]
                    lists += [v for v in value.values() if isinstance(v, Array)]
        else:
            maps.append(doc.get(name, type=Map))
    roll = rng.random()
    if roll < 0.5 and texts:
        text = rng.choice(texts)
        places = boundaries(str(text))
        start = rng.choice(places)
        if rng.random() < 0.7:
            text.insert(start, rng.choice(WORDS))
        else:
            end = rng.choice([p for p in places if p >= start])
            del text[start:end]
    elif roll < 0.75 and maps:
        values = rng.choice(maps)
        values[rng.choice(["status", "schaal_jongere", "k"])] = rng.choice(VALUES[:7])
    elif lists:
        array = rng.choice(lists)
        if len(array) and rng.random() < 0.3:
            del array[rng.randrange(len(array))]
        else:
            array.insert(
                rng.randint(0, len(array)), Map({"id": f"n{rng.random()}", "doel": Text("n🙂")})
            )


def make_session(rng: random.Random) -> Session:
    section = rng.choice(SECTIONS)
    room = Room(section)
    attacker = Attacker(rng, room)
    session = Session(section)
    for _ in range(rng.choice([1, 2, 2, 3])):
        roll = rng.random()
        honest = roll < 0.15
        update = attacker.honest() if honest else None
        if update is None:
            honest = False
            update = attacker.damaged() if roll < 0.22 else attacker.crafted()
        verdict = room.receive(update)
        session.steps.append(update)
        session.verdicts.append(verdict)
        session.honest.append(honest)
        if verdict == "admitted":
            session.admitted.append(update)
            session.states.append(dict(room.known.state))
            if honest:
                attacker.honest_so_far.append(update)
    return session


def sessions(seed: int, count: int) -> Iterator[Session]:
    rng = random.Random(seed)
    for _ in range(count):
        yield make_session(rng)


# -- applying in a worker ----------------------------------------------------------------------


def read_all(section: str, doc: Doc) -> str:
    """Everything a room reads of a document: the schema's view and every root in full."""
    parts: list[Any] = [read_document(section, doc)]
    for name, kind in root_kinds(section).items():
        if kind == "text":
            parts.append(str(doc.get(name, type=Text)))
        elif kind == "array":
            parts.append(doc.get(name, type=Array).to_py())
        else:
            parts.append(doc.get(name, type=Map).to_py())
    return repr(_canonical(parts))


def _canonical(value: Any) -> Any:
    """Comparable plain data: maps come back from yrs in no fixed order."""
    if isinstance(value, dict):
        return tuple(sorted((k, _canonical(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_canonical(v) for v in value)
    if isinstance(value, bytes | bytearray):
        return ("bytes", bytes(value))
    if isinstance(value, float) and value != value:
        return "NaN"
    return value


def check_shape(section: str, state: bytes) -> str | None:
    """Every item of a whole state sits where its kind belongs, placed the way yrs places it
    (parent: named, else the left neighbour's, else the right one's; key: the left
    neighbour's, else the right one's, else its own), and its neighbours agree on the place.
    An independent second reading: it does not use the index under test."""
    roots = root_kinds(section)
    order = [s for group in read_update(state).groups for s in group.structs]
    starts: dict[int, list[int]] = {}
    by_start: dict[Id, Struct] = {}
    for s in order:
        starts.setdefault(s.client, []).append(s.clock)
        by_start[(s.client, s.clock)] = s

    class Holders:
        """The struct holding an id (without a table of every clock: runs can be 2^32 long)."""

        def get(self, id_: Any) -> Struct | None:
            if id_ is None or id_[0] not in starts:
                return None
            clocks = starts[id_[0]]
            index = bisect.bisect_right(clocks, id_[1]) - 1
            holder = by_start[(id_[0], clocks[index])] if index >= 0 else None
            return holder if holder is not None and id_[1] < holder.end else None

        def __contains__(self, id_: Any) -> bool:
            return self.get(id_) is not None

        def __getitem__(self, id_: Any) -> Struct:
            holder = self.get(id_)
            assert holder is not None
            return holder

    structs = Holders()
    places: dict[Id, tuple[Any, Any] | None] = {}

    def start_of(id_: Id) -> Id:
        holder = structs[id_]
        return (holder.client, holder.clock)

    def placed(id_: Id | None) -> tuple[Any, Any] | None:
        return places.get(start_of(id_)) if id_ in structs else None

    def place(id_: Id | None) -> tuple[Any, Any] | None:
        # Without recursion: chains of neighbours are as long as the document.
        if id_ not in structs:
            return None
        stack = [structs[id_]]
        entered: set[Id] = set()
        while stack:
            s = stack[-1]
            key = (s.client, s.clock)
            if key in places:
                stack.pop()
                continue
            if key not in entered:
                entered.add(key)
                waiting = [
                    structs[n]
                    for n in (s.origin, s.right_origin)
                    if n in structs and start_of(n) not in places and start_of(n) not in entered
                ]
                if waiting:
                    stack.extend(waiting)
                    continue
            left, right = placed(s.origin), placed(s.right_origin)
            parent: Any = None
            if s.parent_root is not None or s.parent_id is not None:
                parent = s.parent_root if s.parent_root is not None else s.parent_id
            elif left is not None:
                parent = left[0]
            elif right is not None:
                parent = right[0]
            sub = next((p[1] for p in (left, right) if p is not None and p[1] is not None), None)
            places[key] = (
                None if parent is None else (parent, sub if sub is not None else s.parent_sub)
            )
            stack.pop()
        return placed(id_)

    for s in order:
        if s.kind in (GC, SKIP):
            continue
        where = place((s.client, s.clock))
        neighbours = [place(n) for n in (s.origin, s.right_origin) if n is not None]
        if any(n is not None and n != where for n in neighbours):
            return f"neighbours of {(s.client, s.clock)} sit in different places"
        if where is None:
            continue  # yrs turned it into garbage: nothing to read
        parent, sub = where
        if isinstance(parent, str):
            kind = roots.get(parent)
        else:
            holder = structs.get(parent)
            is_type = holder is not None and holder.kind == TYPE and holder.clock == parent[1]
            kind = TYPE_KINDS.get(holder.type_ref) if is_type and holder else None
        if kind is None:
            return f"{(s.client, s.clock)} sits in a parent of unknown kind"
        if (kind == "map") != (sub is not None):
            return f"{(s.client, s.clock)} has a key {sub!r} in a {kind}"
        if s.kind != DELETED and (kind == "text") != (s.kind in (4, 5, 6)):
            return f"{(s.client, s.clock)} holds content of kind {s.kind} in a {kind}"
    return None


def has_reversed_neighbours(doc: Doc, outline: UpdateOutline) -> bool:
    """Whether an item of the update names a right neighbour that stands before its left one
    in the document (the order yrs keeps, asked through sticky indexes)."""

    def position(id_: Id) -> int:
        where = {"item": {"client": id_[0], "clock": id_[1]}, "assoc": 0}
        return StickyIndex.from_json(where).get_index(txn)

    with doc.transaction() as txn:
        for group in outline.groups:
            for s in group.structs:
                if s.origin is None or s.right_origin is None:
                    continue
                try:
                    if position(s.right_origin) < position(s.origin):
                        return True
                except BaseException as exc:  # ids the document lacks, or in a map
                    if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
                        raise
    return False


def run_case(case: dict[str, Any]) -> tuple[str, str]:
    """Apply a case's updates; return (outcome, detail)."""
    section = case["section"]
    doc = Doc(skip_gc=True)
    doc.apply_update(bytes.fromhex(case["base"]))
    expected = case.get("states")
    reversed_neighbours = False
    for index, update in enumerate(case["updates"]):
        data = bytes.fromhex(update)
        with contextlib.suppress(UpdateFormatError):
            reversed_neighbours |= has_reversed_neighbours(doc, read_update(data))
        try:
            doc.apply_update(data)
        except BaseException as exc:
            if type(exc).__name__ == "PanicException":
                return PANIC, f"applying update {index}: {exc}"
            if isinstance(exc, ValueError | RuntimeError):
                return REJECTED, f"applying update {index}: {exc}"
            raise
        if expected is not None:
            state = read_state_vector(doc.get_state())
            want = {int(c): n for c, n in expected[index].items()}
            if state != want:
                return PENDING, f"after update {index}: {state} instead of {want}"
    try:
        seen = read_all(section, doc)
        whole = doc.get_update()
        again = Doc(skip_gc=True)
        again.apply_update(whole)
        if read_state_vector(again.get_state()) != read_state_vector(doc.get_state()):
            return RELOAD, "the stored state loads with another state vector"
        if read_all(section, again) != seen:
            if reversed_neighbours:
                return DIVERGES, "the stored state reads differently"
            return RELOAD, "the stored state reads differently"
    except BaseException as exc:
        if type(exc).__name__ == "PanicException":
            return PANIC, f"reading: {exc}"
        if isinstance(exc, Exception):
            return UNREADABLE, f"{type(exc).__name__}: {exc}"
        raise
    try:
        problem = check_shape(section, whole)
    except UpdateFormatError as exc:
        # The room could not even index this document when it opens it again.
        return RELOAD, f"the stored state is not a well-formed update: {exc}"
    if problem is not None:
        return SHAPE, problem
    return OK, ""


def worker_main() -> None:
    """Read cases (JSON lines) on stdin; for each, say ``start`` and then the outcome."""
    os.environ["RUST_BACKTRACE"] = "0"
    for line in sys.stdin:
        case = json.loads(line)
        print(json.dumps({"start": case["id"]}), flush=True)
        try:
            outcome, detail = run_case(case)
        except Exception as exc:  # a defect of this fuzzer: report it, keep going
            outcome, detail = CRASH, f"the worker failed: {exc!r}"
        print(json.dumps({"id": case["id"], "outcome": outcome, "detail": detail}), flush=True)


@dataclass
class Applied:
    outcome: str
    detail: str


def apply_in_workers(cases: list[dict[str, Any]], *, timeout: float = 5.0) -> dict[int, Applied]:
    """Run cases in a worker process; a case that takes longer than ``timeout`` is a hang (the
    worker is killed and a new one takes the remaining cases)."""
    results: dict[int, Applied] = {}
    pending = list(cases)
    while pending:
        results.update(_one_worker(pending, timeout))
        pending = [c for c in pending if c["id"] not in results]
    return results


def _one_worker(cases: list[dict[str, Any]], timeout: float) -> dict[int, Applied]:
    env = {**os.environ, "RUST_BACKTRACE": "0", "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.crdt.update_fuzzer", "--worker"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # yrs prints each panic there
        env=env,
    )
    assert worker.stdin is not None and worker.stdout is not None

    def feed() -> None:
        assert worker.stdin is not None
        try:
            for case in cases:
                worker.stdin.write((json.dumps(case) + "\n").encode())
            worker.stdin.close()
        except (BrokenPipeError, ValueError):
            pass  # the worker was killed; the remaining cases go to the next one

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    results: dict[int, Applied] = {}
    current: int | None = None
    buffer = b""
    deadline = time.monotonic() + timeout * 4  # the first case waits for the worker to start
    stdout = worker.stdout.fileno()
    try:
        while len(results) < len(cases):
            wait = deadline - time.monotonic()
            ready = select.select([stdout], [], [], max(wait, 0))[0] if wait > 0 else []
            if not ready:
                if current is not None:
                    results[current] = Applied(HANG, f"no answer in {timeout} s")
                return results
            chunk = os.read(stdout, 65536)
            if not chunk:
                if current is not None:
                    results[current] = Applied(CRASH, f"the worker died ({worker.wait()})")
                return results
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                message = json.loads(line)
                if "start" in message:
                    current = message["start"]
                    deadline = time.monotonic() + timeout
                else:
                    results[message["id"]] = Applied(message["outcome"], message["detail"])
                    current = None
        return results
    finally:
        worker.kill()
        worker.wait()
        worker.stdout.close()
        feeder.join(timeout=5)


# -- a whole run -------------------------------------------------------------------------------


@dataclass
class Report:
    cases: int = 0
    updates: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)  # admitted, refused, malformed
    reasons: Counter[str] = field(default_factory=Counter)  # every verdict in full
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[Session, Applied]] = field(default_factory=list)
    honest_refused: list[tuple[Session, str]] = field(default_factory=list)
    stalled: list[Session] = field(default_factory=list)
    raw_outcomes: Counter[str] = field(default_factory=Counter)
    raw_failures: list[tuple[Session, Applied]] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        lines = [
            f"{self.cases} cases, {self.updates} updates in {self.seconds:.1f} s",
            "verdicts:",
            *(f"  {n:7d}  {v}" for v, n in self.verdicts.most_common()),
            "reasons:",
            *(f"  {n:7d}  {r}" for r, n in self.reasons.most_common()),
            "admitted sessions applied in pycrdt:",
            *(f"  {n:7d}  {o}" for o, n in self.outcomes.most_common()),
        ]
        if self.raw_outcomes:
            lines += [
                "every session applied without admission:",
                *(f"  {n:7d}  {o}" for o, n in self.raw_outcomes.most_common()),
            ]
        lines.append(f"honest edits refused: {len(self.honest_refused)}")
        return "\n".join(lines)


def reason_kind(verdict: str) -> str:
    """A verdict without the names and numbers in it, to count alike ones together."""
    return re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "…", verdict)


def _case(index: int, session: Session, updates: list[bytes], states: Any) -> dict[str, Any]:
    return {
        "id": index,
        "section": session.section,
        "base": base_state(session.section).hex(),
        "updates": [u.hex() for u in updates],
        "states": states,
    }


def fuzz(
    seed: int,
    count: int,
    *,
    raw: bool = False,
    timeout: float = 5.0,
    progress: Callable[[int], None] | None = None,
    chunk: int = 2000,
) -> Report:
    """Make ``count`` sessions from ``seed``; apply the admitted updates of each in a worker.
    With ``raw``, also apply every update of each session, admitted or not (what pycrdt
    would do without admission)."""
    started = time.monotonic()
    report = Report()
    generated = sessions(seed, count)
    done = 0
    while done < count:
        batch = list(itertools.islice(generated, chunk))
        if not batch:
            break
        cases = []
        raw_cases = []
        for offset, session in enumerate(batch):
            index = done + offset
            report.cases += 1
            report.updates += len(session.steps)
            report.verdicts.update(v.split(":")[0] for v in session.verdicts)
            report.reasons.update(reason_kind(v) for v in session.verdicts)
            if any(v.startswith(STALLED) for v in session.verdicts):
                report.stalled.append(session)
            for verdict, honest in zip(session.verdicts, session.honest, strict=True):
                if honest and verdict != "admitted" and len(session.admitted) == 0:
                    report.honest_refused.append((session, verdict))
            if session.admitted:
                states = [{str(c): n for c, n in s.items()} for s in session.states]
                cases.append(_case(index, session, session.admitted, states))
            if raw:
                raw_cases.append(_case(index, session, session.steps, None))
        results = apply_in_workers(cases, timeout=timeout)
        for case in cases:
            applied = results[case["id"]]
            report.outcomes[applied.outcome] += 1
            if applied.outcome != OK:
                report.failures.append((batch[case["id"] - done], applied))
        if raw:
            raw_results = apply_in_workers(raw_cases, timeout=timeout)
            for case in raw_cases:
                applied = raw_results[case["id"]]
                report.raw_outcomes[applied.outcome] += 1
                if applied.outcome in (PANIC, HANG, CRASH, PENDING, RELOAD, UNREADABLE, SHAPE):
                    report.raw_failures.append((batch[case["id"] - done], applied))
        done += len(batch)
        if progress is not None:
            progress(done)
    report.seconds = time.monotonic() - started
    return report


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        worker_main()
    else:
        print(fuzz(int(sys.argv[1]), int(sys.argv[2])).summary())
