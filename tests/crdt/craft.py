"""Hand-made Yjs v1 updates, for attack tests: any client id, clock, origin, parent, content
kind and delete range, including the ones an honest client never sends."""

from __future__ import annotations

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


def any_string(text: str) -> bytes:
    return b"\x77" + var_string(text)


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
