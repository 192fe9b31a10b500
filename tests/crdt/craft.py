"""Hand-made Yjs v1 updates, for attack tests: any client id, clock, origin, parent, content
kind and delete range, including the ones an honest client never sends."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from pycrdt import Doc

from app.crdt.update_reader import read_state_vector


def var_uint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def var_string(text: str) -> bytes:
    data = text.encode("utf-8")
    return var_uint(len(data)) + data


def var_int(value: int) -> bytes:
    """lib0's signed varint: sign in bit 0x40 of the first byte, six bits, then sevens."""
    magnitude = abs(value)
    first = (magnitude & 0x3F) | (0x40 if value < 0 else 0)
    magnitude >>= 6
    out = bytearray([first | (0x80 if magnitude else 0)])
    while magnitude:
        byte = magnitude & 0x7F
        magnitude >>= 7
        out.append(byte | (0x80 if magnitude else 0))
    return bytes(out)


def any_string(text: str) -> bytes:
    return b"\x77" + var_string(text)


def encode_any(value: object) -> bytes:
    """A Python value as lib0 ``any`` (what Yjs stores in maps and arrays)."""
    if value is None:
        return b"\x7e"
    if value is True:
        return b"\x78"
    if value is False:
        return b"\x79"
    if isinstance(value, int) and abs(value) <= 2**53 - 1:
        return b"\x7d" + var_int(value)
    if isinstance(value, int | float):
        return b"\x7b" + struct.pack(">d", float(value))
    if isinstance(value, str):
        return any_string(value)
    if isinstance(value, bytes):
        return b"\x74" + var_uint(len(value)) + value
    if isinstance(value, list):
        return b"\x75" + var_uint(len(value)) + b"".join(encode_any(v) for v in value)
    if isinstance(value, dict):
        entries = b"".join(var_string(k) + encode_any(v) for k, v in value.items())
        return b"\x76" + var_uint(len(value)) + entries
    raise TypeError(f"no lib0 encoding for {value!r}")


@dataclass
class Item:
    """One struct. ``kind``: 0 GC, 1 deleted, 4 string, 7 type, 8 any, 10 skip…
    ``content`` is the already encoded content (for GC/skip: leave empty, use ``length``)."""

    kind: int
    content: bytes = b""
    origin: tuple[int, int] | None = None
    right_origin: tuple[int, int] | None = None
    parent_root: str | None = None
    parent_id: tuple[int, int] | None = None
    parent_sub: str | None = None
    length: int = 1

    def encode(self) -> bytes:
        if self.kind in (0, 10):
            return bytes([self.kind]) + var_uint(self.length)
        info = self.kind
        if self.origin is not None:
            info |= 0x80
        if self.right_origin is not None:
            info |= 0x40
        if self.parent_sub is not None:
            info |= 0x20
        out = bytearray([info])
        if self.origin is not None:
            out += var_uint(self.origin[0]) + var_uint(self.origin[1])
        if self.right_origin is not None:
            out += var_uint(self.right_origin[0]) + var_uint(self.right_origin[1])
        if self.origin is None and self.right_origin is None:
            if self.parent_root is not None:
                out += var_uint(1) + var_string(self.parent_root)
            else:
                assert self.parent_id is not None
                out += var_uint(0) + var_uint(self.parent_id[0]) + var_uint(self.parent_id[1])
            if self.parent_sub is not None:
                out += var_string(self.parent_sub)
        return bytes(out) + self.content


def string(text: str, **where: object) -> Item:
    return Item(4, var_string(text), **where)  # type: ignore[arg-type]


def any_value(encoded_any: bytes, **where: object) -> Item:
    return Item(8, var_uint(1) + encoded_any, **where)  # type: ignore[arg-type]


def values(*items: object, **where: object) -> Item:
    """ANY content holding several values (one clock each)."""
    content = var_uint(len(items)) + b"".join(encode_any(v) for v in items)
    return Item(8, content, **where)  # type: ignore[arg-type]


def deleted(length: int, **where: object) -> Item:
    return Item(1, var_uint(length), **where)  # type: ignore[arg-type]


def shared_type(type_ref: int, **where: object) -> Item:
    return Item(7, var_uint(type_ref), **where)  # type: ignore[arg-type]


@dataclass
class Update:
    groups: list[tuple[int, int, list[Item]]] = field(default_factory=list)
    deletes: dict[int, list[tuple[int, int]]] = field(default_factory=dict)

    def add(self, client: int, clock: int, *items: Item) -> Update:
        self.groups.append((client, clock, list(items)))
        return self

    def delete(self, client: int, clock: int, length: int) -> Update:
        self.deletes.setdefault(client, []).append((clock, length))
        return self

    def encode(self) -> bytes:
        out = bytearray(var_uint(len(self.groups)))
        for client, clock, items in self.groups:
            out += var_uint(len(items)) + var_uint(client) + var_uint(clock)
            for item in items:
                out += item.encode()
        out += var_uint(len(self.deletes))
        for client, ranges in self.deletes.items():
            out += var_uint(client) + var_uint(len(ranges))
            for clock, length in ranges:
                out += var_uint(clock) + var_uint(length)
        return bytes(out)


def state_of(doc: Doc) -> dict[int, int]:
    """The document's state vector as a dict."""
    return read_state_vector(doc.get_state())
