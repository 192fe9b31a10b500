"""A strict reader of Yjs v1 updates: which structs an update carries and what it deletes.

pycrdt applies updates but does not show what is inside them, and the server must know that
before an update touches a document: whose client ids it writes under, which clocks, which
existing content it refers to, which root types it creates, and which ranges it deletes. This
module decodes the v1 encoding (``Y.encodeStateAsUpdate``, y-websocket's wire format) into that
outline without integrating anything. It is strict where yrs and Yjs are lenient: no reading
past the end, no trailing bytes, bounded numbers, valid UTF-8 and JSON, bounded nesting, and no
content kinds that Yjs does not define. It also refuses what yrs reads differently from Yjs or
cannot handle, so that the outline is what yrs integrates: clocks past 2^32 (yrs counts them in
32 bits and wraps), client groups without structs (yrs panics on them), placeholders with item
flags, XML hooks (Yjs writes a name after them, yrs reads none) and the obsolete JSON content
(yrs reads one string more than it holds). After either of the last two, yrs would read the
rest of the bytes as other structs than the ones checked. Anything else raises
``UpdateFormatError``.

The layout (yjs ``src/utils/encoding.js``, ``UpdateDecoderV1``): a number of client groups,
each ``(number of structs, client, first clock)`` followed by its structs; a struct is an info
byte (content kind in the low five bits; 0x80 origin, 0x40 right origin, 0x20 parent key),
then the ids and parent it names, then its content. After the groups comes the delete set:
per client, ``(clock, length)`` ranges.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

# Content kinds (the low five bits of a struct's info byte).
GC = 0
DELETED = 1
JSON = 2
BINARY = 3
STRING = 4
EMBED = 5
FORMAT = 6
TYPE = 7
ANY = 8
DOC = 9
SKIP = 10

# Type references inside TYPE content.
Y_ARRAY = 0
Y_MAP = 1
Y_TEXT = 2
Y_XML_ELEMENT = 3
Y_XML_FRAGMENT = 4
Y_XML_HOOK = 5
Y_XML_TEXT = 6
MAX_TYPE_REF = Y_XML_TEXT

_ORIGIN = 0x80
_RIGHT_ORIGIN = 0x40
_PARENT_SUB = 0x20
_KIND_BITS = 0x1F

MAX_UINT = 2**53 - 1  # lib0 numbers are JavaScript numbers
MAX_CLOCK = 2**32 - 1  # yrs keeps clocks and lengths in a u32
MAX_ANY_DEPTH = 64

Id = tuple[int, int]  # (client, clock)


class UpdateFormatError(ValueError):
    """The bytes are not a well-formed Yjs v1 update."""


@dataclass(frozen=True, slots=True)
class Struct:
    """One struct of an update. ``length`` counts clock ticks (UTF-16 code units for strings).

    For items (``kind`` 1–9): ``origin`` / ``right_origin`` are the neighbours it was inserted
    between; when it names neither, its parent is given: a root type by name (``parent_root``)
    or a nested type by the id of the item holding it (``parent_id``), with ``parent_sub`` the
    key when the parent is a map. ``type_ref`` is set for TYPE content. ``inside_pairs`` are
    the clocks (as offsets from ``clock``) of the second halves of UTF-16 surrogate pairs in
    STRING content: yrs cannot split a string there without breaking the document."""

    kind: int
    client: int
    clock: int
    length: int
    origin: Id | None = None
    right_origin: Id | None = None
    parent_root: str | None = None
    parent_id: Id | None = None
    parent_sub: str | None = None
    type_ref: int | None = None
    inside_pairs: tuple[int, ...] = ()

    @property
    def end(self) -> int:
        return self.clock + self.length

    @property
    def is_item(self) -> bool:
        return self.kind not in (GC, SKIP)


@dataclass(frozen=True, slots=True)
class ClientGroup:
    """The structs of one client, covering clocks ``start`` up to (not including) ``end``."""

    client: int
    start: int
    end: int
    structs: tuple[Struct, ...]


@dataclass(frozen=True, slots=True)
class UpdateOutline:
    groups: tuple[ClientGroup, ...]
    delete_set: dict[int, tuple[tuple[int, int], ...]]  # client → ((clock, length), …)

    def group_of(self, client: int) -> ClientGroup | None:
        for group in self.groups:
            if group.client == client:
                return group
        return None


class _Decoder:
    __slots__ = ("data", "pos", "end")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.end = len(data)

    def byte(self) -> int:
        if self.pos >= self.end:
            raise UpdateFormatError("the update ends too early")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def uint(self) -> int:
        data = self.data
        pos = self.pos
        value = 0
        shift = 0
        while True:
            if pos >= self.end:
                raise UpdateFormatError("the update ends inside a number")
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                break
            shift += 7
            if shift > 56:
                raise UpdateFormatError("a number is too long")
        if value > MAX_UINT:
            raise UpdateFormatError("a number is out of range")
        self.pos = pos
        return value

    def int_(self) -> int:
        """lib0's signed varint: sign in bit 0x40 of the first byte, six bits, then sevens."""
        first = self.byte()
        value = first & 0x3F
        shift = 6
        byte = first
        while byte & 0x80:
            byte = self.byte()
            value |= (byte & 0x7F) << shift
            shift += 7
            if shift > 62:
                raise UpdateFormatError("a number is too long")
        if value > MAX_UINT:
            raise UpdateFormatError("a number is out of range")
        return -value if first & 0x40 else value

    def take(self, length: int) -> bytes:
        end = self.pos + length
        if end > self.end:
            raise UpdateFormatError("the update ends inside a byte string")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def skip(self, length: int) -> None:
        if self.pos + length > self.end:
            raise UpdateFormatError("the update ends inside a byte string")
        self.pos += length

    def string(self) -> str:
        try:
            return self.take(self.uint()).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UpdateFormatError("a string is not valid UTF-8") from exc

    def id_(self) -> Id:
        client = self.uint()
        clock = self.uint()
        if clock > MAX_CLOCK:
            raise UpdateFormatError("a clock is out of range")
        return (client, clock)


def _utf16_layout(text: str) -> tuple[int, tuple[int, ...]]:
    """The UTF-16 length of ``text`` and the offsets of the second halves of its surrogate
    pairs (characters beyond the Basic Multilingual Plane take two UTF-16 units)."""
    if text.isascii():
        return len(text), ()
    length = len(text.encode("utf-16-le")) // 2
    if length == len(text):
        return length, ()
    halves = []
    offset = 0
    for char in text:
        offset += 1
        if ord(char) > 0xFFFF:
            halves.append(offset)
            offset += 1
    return length, tuple(halves)


def _check_json(text: str) -> None:
    """Embeds and format values are JSON text; Yjs and yrs both refuse anything else."""
    try:
        json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise UpdateFormatError("a value is not valid JSON") from exc


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _skip_any(decoder: _Decoder, depth: int = 0) -> None:
    """Read one lib0 ``any`` value without building it."""
    if depth > MAX_ANY_DEPTH:
        raise UpdateFormatError("a value is nested too deeply")
    tag = decoder.byte()
    if tag in (127, 126, 121, 120):  # undefined, null, false, true
        return
    if tag == 125:  # integer
        decoder.int_()
    elif tag == 124:  # float32
        decoder.skip(4)
    elif tag in (123, 122):  # float64, bigint64
        decoder.skip(8)
    elif tag == 119:  # string
        decoder.string()
    elif tag == 118:  # object
        for _ in range(decoder.uint()):
            decoder.string()
            _skip_any(decoder, depth + 1)
    elif tag == 117:  # array
        for _ in range(decoder.uint()):
            _skip_any(decoder, depth + 1)
    elif tag == 116:  # bytes
        decoder.skip(decoder.uint())
    else:
        raise UpdateFormatError(f"unknown value tag {tag}")


_Content = tuple[int, int | None, tuple[int, ...]]


def _read_content(decoder: _Decoder, kind: int) -> _Content:
    """Read an item's content; return its clock length, for TYPE content its type ref, and
    for STRING content where its surrogate pairs are split in two."""
    if kind == DELETED:
        length = decoder.uint()
    elif kind == JSON:
        # Yjs reads as many strings as the count says, yrs one more: the two would see
        # different updates after it. No Yjs since 13.0 writes this content.
        raise UpdateFormatError("obsolete JSON content")
    elif kind == BINARY:
        decoder.skip(decoder.uint())
        length = 1
    elif kind == STRING:
        length, halves = _utf16_layout(decoder.string())
        if length == 0:
            raise UpdateFormatError("an item without content")
        return length, None, halves
    elif kind == EMBED:
        _check_json(decoder.string())
        length = 1
    elif kind == FORMAT:
        decoder.string()
        _check_json(decoder.string())
        length = 1
    elif kind == TYPE:
        type_ref = decoder.uint()
        if type_ref > MAX_TYPE_REF:
            raise UpdateFormatError(f"unknown shared type {type_ref}")
        if type_ref == Y_XML_HOOK:
            raise UpdateFormatError("an XML hook (yrs and Yjs read it differently)")
        if type_ref == Y_XML_ELEMENT:
            decoder.string()
        return 1, type_ref, ()
    elif kind == ANY:
        length = decoder.uint()
        for _ in range(length):
            _skip_any(decoder)
    elif kind == DOC:
        decoder.string()
        _skip_any(decoder)
        length = 1
    else:
        raise UpdateFormatError(f"unknown content kind {kind}")
    if length == 0:
        raise UpdateFormatError("an item without content")
    return length, None, ()


def _read_struct(decoder: _Decoder, client: int, clock: int) -> Struct:
    info = decoder.byte()
    kind = info & _KIND_BITS
    if kind in (GC, SKIP):
        if info != kind:
            # Yjs reads the low five bits, yrs the whole byte (an item of content kind 0).
            raise UpdateFormatError("a placeholder with item flags")
        length = decoder.uint()
        if length == 0:
            raise UpdateFormatError("an empty placeholder")
        return Struct(kind, client, clock, length)
    origin = decoder.id_() if info & _ORIGIN else None
    right_origin = decoder.id_() if info & _RIGHT_ORIGIN else None
    parent_root: str | None = None
    parent_id: Id | None = None
    parent_sub: str | None = None
    if not info & (_ORIGIN | _RIGHT_ORIGIN):
        flag = decoder.uint()
        if flag == 1:
            parent_root = decoder.string()
        elif flag == 0:
            parent_id = decoder.id_()
        else:
            raise UpdateFormatError("an item's parent is neither a name nor an id")
        if info & _PARENT_SUB:
            parent_sub = decoder.string()
    length, type_ref, inside_pairs = _read_content(decoder, kind)
    return Struct(
        kind,
        client,
        clock,
        length,
        origin,
        right_origin,
        parent_root,
        parent_id,
        parent_sub,
        type_ref,
        inside_pairs,
    )


def read_update(data: bytes) -> UpdateOutline:
    """The outline of a v1 update: its client groups with their structs, and its delete set.
    Raises ``UpdateFormatError`` for anything that is not a well-formed update."""
    decoder = _Decoder(data)
    groups: list[ClientGroup] = []
    seen: set[int] = set()
    for _ in range(decoder.uint()):
        count = decoder.uint()
        client = decoder.uint()
        start = decoder.uint()
        if count == 0:
            # yrs panics on an empty group of a client the document knows.
            raise UpdateFormatError("a client group without structs")
        if client in seen:
            raise UpdateFormatError("a client appears twice")
        seen.add(client)
        clock = start
        structs = []
        for _ in range(count):
            struct = _read_struct(decoder, client, clock)
            clock = struct.end
            if clock > MAX_CLOCK:
                raise UpdateFormatError("a clock is out of range")
            structs.append(struct)
        groups.append(ClientGroup(client, start, clock, tuple(structs)))
    delete_set: dict[int, tuple[tuple[int, int], ...]] = {}
    for _ in range(decoder.uint()):
        client = decoder.uint()
        if client in delete_set:
            raise UpdateFormatError("a client appears twice in the delete set")
        ranges = []
        for _ in range(decoder.uint()):
            clock = decoder.uint()
            length = decoder.uint()
            if length == 0 or clock + length > MAX_CLOCK:
                raise UpdateFormatError("an empty or endless delete range")
            ranges.append((clock, length))
        delete_set[client] = tuple(ranges)
    if decoder.pos != decoder.end:
        raise UpdateFormatError("trailing bytes after the update")
    return UpdateOutline(tuple(groups), delete_set)


def read_state_vector(data: bytes) -> dict[int, int]:
    """A state vector (``Doc.get_state()``) as ``{client: next clock}``."""
    decoder = _Decoder(data)
    state: dict[int, int] = {}
    for _ in range(decoder.uint()):
        client = decoder.uint()
        state[client] = decoder.uint()
    if decoder.pos != decoder.end:
        raise UpdateFormatError("trailing bytes after the state vector")
    return state
