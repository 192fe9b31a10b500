"""The update reader reads every update yrs and Yjs write exactly as they read it, and refuses
everything else with ``UpdateFormatError``.

Three witnesses: yrs (through pycrdt: ``get_state`` of an update, an update decoded and encoded
again by yrs, a document that applied it), Yjs in node (``Y.decodeUpdate``), and random or
damaged bytes.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycrdt import (
    Array,
    Doc,
    Map,
    Text,
    XmlElement,
    XmlFragment,
    XmlText,
    get_state,
    get_update,
)

from app.crdt.update_reader import (
    GC,
    SKIP,
    Y_XML_HOOK,
    Struct,
    UpdateFormatError,
    UpdateOutline,
    read_state_vector,
    read_update,
)
from tests.crdt import craft
from tests.crdt.yjs_corpus import corpus, node_is_ready

# Deterministic and bounded: the same examples on every run, nothing stored between runs.
PROPERTIES = settings(
    max_examples=200,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

EMPTY_STATE = b"\x00"

# -- how yrs reads an update -------------------------------------------------------------------

Normal = tuple[dict[int, tuple[int, tuple[Struct, ...]]], dict[int, tuple[tuple[int, int], ...]]]


def merged_ranges(ranges: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Delete ranges as sorted, disjoint, non-adjacent (clock, length) pairs."""
    merged: list[list[int]] = []
    for clock, length in sorted(ranges):
        if merged and clock <= merged[-1][0] + merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], clock + length - merged[-1][0])
        else:
            merged.append([clock, length])
    return tuple((clock, length) for clock, length in merged)


def normal(outline: UpdateOutline) -> Normal:
    """An outline up to what an encoding may choose: the order of clients and of delete ranges,
    and leading placeholders (yrs leaves those out when it writes an update)."""
    groups = {}
    for group in outline.groups:
        structs = list(itertools.dropwhile(lambda s: s.kind == SKIP, group.structs))
        if structs:
            groups[group.client] = (structs[0].clock, tuple(structs))
    deletes = {c: merged_ranges(r) for c, r in outline.delete_set.items() if r}
    return groups, deletes


def as_yrs_reads_it(update: bytes) -> Normal:
    """What yrs decodes from ``update``: yrs reads it and writes it out again in full."""
    return normal(read_update(get_update(update, EMPTY_STATE)))


def expected_state(outline: UpdateOutline) -> dict[int, int]:
    """``Update::state_vector`` in yrs: how far each client's clocks run from 0, up to the
    first placeholder."""
    state = {}
    for group in outline.groups:
        if group.start != 0:
            continue
        end = 0
        for struct in group.structs:
            if struct.kind == SKIP:
                break
            end = struct.end
        if end:
            state[group.client] = end
    return state


def assert_read_like_yrs(update: bytes) -> UpdateOutline:
    outline = read_update(update)
    assert as_yrs_reads_it(update) == normal(outline)
    assert read_state_vector(get_state(update)) == expected_state(outline)
    return outline


def deleted_ids(ranges: dict[int, tuple[tuple[int, int], ...]]) -> set[tuple[int, int]]:
    return {
        (c, clock)
        for c, rs in ranges.items()
        for start, n in rs
        for clock in range(start, start + n)
    }


# -- random editing with pycrdt -----------------------------------------------------------------

# pycrdt indexes texts in UTF-8 bytes and panics on an index inside a character, so edits are
# made at character boundaries (see ``boundaries``). Emoji take two UTF-16 units in Yjs clocks.
LETTERS = st.sampled_from(["a", "b", " ", "é", "€", "中", "🙂", "👍🏽", "𝄞", "\n"])
WORDS = st.lists(LETTERS, min_size=1, max_size=6).map("".join)
KEYS = st.sampled_from(["k", "l", "é", "🙂", ""])
SCALARS = st.one_of(
    st.integers(-(2**53) + 1, 2**53 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    WORDS,
    st.booleans(),
    st.none(),
    st.binary(max_size=4),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=5,
)


def boundaries(text: str) -> list[int]:
    """UTF-8 offsets between the characters of ``text``."""
    return [0, *itertools.accumulate(len(char.encode()) for char in text)]


def new_nested(data: st.DataObject) -> Any:
    kind = data.draw(st.sampled_from(["value", "text", "array", "map"]))
    if kind == "text":
        return Text(data.draw(WORDS))
    if kind == "array":
        return Array(data.draw(st.lists(SCALARS, max_size=3)))
    if kind == "map":
        return Map(data.draw(st.dictionaries(KEYS, SCALARS, max_size=2)))
    return data.draw(VALUES)


def edit_text(data: st.DataObject, text: Text) -> None:
    places = boundaries(str(text))
    action = data.draw(st.sampled_from(["insert", "delete", "format"]))
    start = data.draw(st.sampled_from(places))
    end = data.draw(st.sampled_from([p for p in places if p >= start]))
    if action == "insert" or end == start:
        attrs = data.draw(st.none() | st.just({"bold": True}))
        text.insert(start, data.draw(WORDS), attrs)
    elif action == "delete":
        del text[start:end]
    else:
        text.format(start, end, {"italic": data.draw(st.sampled_from([True, None]))})


def edit(data: st.DataObject, doc: Doc) -> None:
    target = data.draw(st.sampled_from(["text", "embeds", "array", "map", "nested", "xml"]))
    if target == "text":
        edit_text(data, doc.get("t", type=Text))
    elif target == "embeds":
        # Embeds take a place in a text that str() does not show: only ever added at the end.
        text = doc.get("e", type=Text)
        text.insert_embed(len(text), {"image": data.draw(WORDS)})
    elif target == "array":
        array = doc.get("a", type=Array)
        if len(array) and data.draw(st.booleans()):
            start = data.draw(st.integers(0, len(array) - 1))
            del array[start : data.draw(st.integers(start + 1, len(array)))]
        else:
            array.insert(data.draw(st.integers(0, len(array))), new_nested(data))
    elif target == "map":
        values = doc.get("m", type=Map)
        key = data.draw(KEYS)
        if key in values and data.draw(st.booleans()):
            del values[key]
        else:
            values[key] = new_nested(data)
    elif target == "nested":
        nested = [v for v in doc.get("a", type=Array) if isinstance(v, Text | Array | Map)]
        if not nested:
            return
        inner = data.draw(st.sampled_from(nested))
        if isinstance(inner, Text):
            edit_text(data, inner)
        elif isinstance(inner, Array):
            inner.insert(data.draw(st.integers(0, len(inner))), data.draw(SCALARS))
        else:
            inner[data.draw(KEYS)] = new_nested(data)
    else:
        fragment = doc.get("x", type=XmlFragment)
        fragment.children.append(XmlElement("p", {"class": "x"}, [XmlText(data.draw(WORDS))]))


def editing_session(data: st.DataObject) -> tuple[list[Doc], list[bytes]]:
    """A few people edit, now and then receiving each other's updates; returns their
    documents and every update in the order they were made."""
    people = [
        Doc(client_id=client, skip_gc=data.draw(st.booleans()))
        for client in data.draw(
            st.lists(
                st.integers(0, 2**53 - 1) | st.integers(0, 300), min_size=1, max_size=3, unique=True
            )
        )
    ]
    made: list[bytes] = []
    inbox: list[list[bytes]] = [[] for _ in people]
    for index, doc in enumerate(people):

        def sent(event: Any, index: int = index) -> None:
            if event.update != b"\x00\x00" and not receiving:
                made.append(event.update)
                for other in range(len(people)):
                    if other != index:
                        inbox[other].append(event.update)

        doc.observe(sent)
    receiving = False
    for _ in range(data.draw(st.integers(1, 12))):
        person = data.draw(st.integers(0, len(people) - 1))
        if data.draw(st.integers(0, 3)) == 0:
            with people[person].transaction():
                edit(data, people[person])
                edit(data, people[person])
        else:
            edit(data, people[person])
        if data.draw(st.booleans()):
            receiving = True
            for update in inbox[person]:
                people[person].apply_update(update)
            inbox[person].clear()
            receiving = False
    return people, made


@PROPERTIES
@given(st.data())
def test_the_reader_agrees_with_yrs_on_updates_made_by_pycrdt(data: st.DataObject) -> None:
    people, made = editing_session(data)
    states = [doc.get_update() for doc in people]
    middle = data.draw(st.sampled_from(people)).get_state()
    diffs = [get_update(state, middle) for state in states]
    for update in made + states + diffs:
        assert_read_like_yrs(update)
    # Replayed in order on a fresh document, each update moves the state vector exactly as
    # far as its outline says, and the document records its delete set as deleted (and more
    # where two people set the same map key at once: the loser is deleted on arrival).
    replay = Doc(skip_gc=True)
    expected: dict[int, int] = {}
    deleted: set[tuple[int, int]] = set()
    for update in made:
        outline = read_update(update)
        replay.apply_update(update)
        for group in outline.groups:
            assert group.start <= expected.get(group.client, 0)
            expected[group.client] = max(expected.get(group.client, 0), group.end)
        deleted |= deleted_ids(outline.delete_set)
        assert read_state_vector(replay.get_state()) == expected
    assert deleted_ids(read_update(replay.get_update()).delete_set) >= deleted


@pytest.mark.node
@pytest.mark.skipif(not node_is_ready(), reason="needs node and `make node-deps`")
def test_the_reader_agrees_with_yjs_on_updates_made_by_yjs() -> None:
    """Struct by struct and range by range, against ``Y.decodeUpdate`` on a corpus of random
    updates (texts with emoji, formats and embeds, arrays, maps, nested, XML and sub-document
    types, deletes, whole states, diffs and merged updates of up to three people)."""
    updates = corpus().updates
    assert len(updates) > 1000
    kinds_seen: set[int] = set()
    hooks = 0
    for made in updates:
        if any(s[0] == "item" and s[10] == Y_XML_HOOK for s in made.structs):
            # yrs reads no name after an XML hook: it would read the rest as other structs.
            with pytest.raises(UpdateFormatError, match="hook"):
                read_update(made.update)
            hooks += 1
            continue
        outline = read_update(made.update)
        structs = [s for group in outline.groups for s in group.structs]
        assert [yjs_view(s) for s in structs] == made.structs, made.update.hex()
        ours = [[c, clock, n] for c, ranges in outline.delete_set.items() for clock, n in ranges]
        assert ours == made.delete_set
        kinds_seen |= {s.kind for s in structs}
        # yrs reads Yjs' updates the same way too.
        assert as_yrs_reads_it(made.update) == normal(outline)
    assert kinds_seen >= {GC, 1, 3, 4, 5, 6, 7, 8, 9}  # the corpus covers every live kind
    assert 0 < hooks < len(updates) / 4


def yjs_view(struct: Struct) -> list[Any]:
    """A struct the way yjs_updates.mjs describes what Y.decodeUpdate read."""
    if struct.kind in (GC, SKIP):
        name = "gc" if struct.kind == GC else "skip"
        return [name, struct.client, struct.clock, struct.length]
    ids = [list(i) if i else None for i in (struct.origin, struct.right_origin, struct.parent_id)]
    return [
        "item",
        struct.client,
        struct.clock,
        struct.length,
        ids[0],
        ids[1],
        struct.parent_root,
        ids[2],
        struct.parent_sub,
        struct.kind,
        struct.type_ref,
    ]


# -- anything else is refused -------------------------------------------------------------------


def valid_updates() -> list[bytes]:
    """Well-formed updates with every kind of struct and content, to damage."""
    doc = Doc(client_id=7, skip_gc=True)
    text = doc.get("t", type=Text)
    text.insert(0, "a🙂b€", {"bold": True})
    text.insert_embed(2, {"image": "x"})
    values = doc.get("m", type=Map)
    values["n"] = Map({"deep": Array([1, 2.5, "é", None, True, b"\x01"])})
    values["t"] = Text("hoi")
    doc.get("a", type=Array).extend([{"k": [1, {"x": -5}]}, 2**40, -1.5])
    doc.get("x", type=XmlFragment).children.append(XmlElement("p", {"c": "1"}, ["x"]))
    del text[0:1]
    crafted = (
        craft.Update()
        .add(3, 0, craft.Item(GC, length=2), craft.Item(SKIP, length=3))
        .add(2**31, 5, craft.string("x", origin=(7, 1), right_origin=(7, 2)))
        .add(9, 0, craft.Item(1, craft.var_uint(4), parent_id=(7, 0), parent_sub="k"))
        .delete(7, 0, 2)
        .delete(2**40, 3, 1)
        .encode()
    )
    # Short ones too, so that damage often hits a count, a kind or a type.
    short = [
        craft.Update().add(7, 0, craft.string("a🙂", parent_root="t")).encode(),
        craft.Update().add(7, 2, craft.shared_type(1, origin=(7, 1))).delete(7, 0, 1).encode(),
        craft.Update()
        .add(9, 0, craft.Item(3, craft.var_uint(1) + b"\x00", parent_root="a"))
        .encode(),
    ]
    return [doc.get_update(), crafted, get_update(doc.get_update(), b"\x01\x07\x03"), *short]


VALID = valid_updates()


def read_or_refuse(data: bytes) -> UpdateOutline | None:
    try:
        return read_update(data)
    except UpdateFormatError:
        return None


@PROPERTIES
@given(st.binary(max_size=300))
def test_random_bytes_are_read_or_refused_as_malformed(data: bytes) -> None:
    read_or_refuse(data)
    with contextlib.suppress(UpdateFormatError):
        read_state_vector(data)


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["flip", "truncate", "insert", "remove", "varint"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if action == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif action == "truncate":
            del data[at:]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=3))
        elif action == "remove":
            del data[at : at + draw(st.integers(1, 3))]
        else:
            # A number grown past what yrs and Yjs can hold, or to an edge value.
            value = draw(st.sampled_from([0, 1, 2, 5, 127, 2**31, 2**32 - 1, 2**32, 2**53, 2**64]))
            data[at : at + 1] = craft.var_uint(value)
    return bytes(data)


@PROPERTIES
@given(damaged())
def test_damaged_updates_are_refused_or_read_as_yrs_reads_them(data: bytes) -> None:
    """Truncations, bit flips, inserted and removed bytes and out-of-range numbers: the reader
    refuses them, or yrs decodes the very same outline from them (so admission checks what
    yrs will integrate)."""
    outline = read_or_refuse(data)
    if outline is not None:
        assert_read_like_yrs(data)


def test_a_group_without_structs_is_refused() -> None:
    """yrs panics (an ``unwrap`` in ``BlockSet::exclude``) on such a group of a known client."""
    with pytest.raises(UpdateFormatError, match="without structs"):
        read_update(craft.Update().add(7, 0).encode())


def test_clocks_past_what_yrs_counts_are_refused() -> None:
    last = craft.Update().add(1, 0, craft.Item(1, craft.var_uint(2**32 - 1), parent_root="t"))
    read_update(last.encode())
    beyond = craft.Update().add(1, 1, craft.Item(1, craft.var_uint(2**32 - 1), parent_root="t"))
    with pytest.raises(UpdateFormatError, match="out of range"):
        read_update(beyond.encode())
    with pytest.raises(UpdateFormatError):
        read_update(craft.Update().delete(1, 2**32 - 5, 5).encode())
    with pytest.raises(UpdateFormatError):
        read_update(craft.Update().add(1, 0, craft.string("x", origin=(2, 2**32))).encode())


def test_obsolete_json_content_is_refused() -> None:
    """Yjs reads as many strings as the count says, yrs one more."""
    update = craft.Update().add(
        1, 0, craft.Item(2, craft.var_uint(1) + craft.var_string("1"), parent_root="a")
    )
    with pytest.raises(UpdateFormatError, match="JSON"):
        read_update(update.encode())


def test_the_halves_of_emoji_are_found() -> None:
    outline = read_update(
        craft.Update().add(1, 0, craft.string("a🙂b👍🏽", parent_root="t")).encode()
    )
    assert outline.groups[0].structs[0].inside_pairs == (2, 5, 7)
