"""The y-websocket wire protocol: strict parsing of what a client sends, and the messages we send.

Everything from the wire is parsed here before it reaches a Doc, so a malformed message becomes
one ``ProtocolError`` (the connection closes with 1007) instead of an exception somewhere deep in
a room. The decoders are strict versions of lib0's: no reading past the end, no trailing bytes,
bounded integers. The encoders are pycrdt's public ones, and two of our own that pycrdt keeps
private (``write_var_uint``, ``create_sync_step2_message``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pycrdt import (
    YMessageType,
    YSyncMessageType,
    create_awareness_message,
    create_sync_message,
    create_update_message,
    write_message,
)

from app.crdt.update_reader import UpdateFormatError, read_state_vector

__all__ = [
    "AwarenessEntry",
    "AwarenessMessage",
    "ProtocolError",
    "QueryAwareness",
    "SyncStep1",
    "SyncStep2",
    "SyncUpdate",
    "create_awareness_message",
    "create_sync_message",
    "create_sync_step2_message",
    "create_update_message",
    "encode_awareness_update",
    "parse_message",
    "write_var_uint",
]

# y-websocket's query for awareness, which pycrdt's enum lacks. Its auth message (2) is not
# part of our protocol and is refused like any unknown type.
MESSAGE_QUERY_AWARENESS = 3

# lib0 numbers are at most 53 bits (JavaScript); Yjs client ids are 32 bits, yrs' up to 53.
MAX_VAR_UINT = 2**53 - 1
MAX_AWARENESS_ENTRIES = 32
EMPTY_UPDATE = b"\x00\x00"


class ProtocolError(ValueError):
    """The bytes are not a well-formed y-websocket message."""


@dataclass(frozen=True)
class SyncStep1:
    state_vector: bytes


@dataclass(frozen=True)
class SyncStep2:
    update: bytes


@dataclass(frozen=True)
class SyncUpdate:
    update: bytes


@dataclass(frozen=True)
class AwarenessEntry:
    """One client's presence. ``state`` None means the client left."""

    client_id: int
    clock: int
    state: dict[str, Any] | None


@dataclass(frozen=True)
class AwarenessMessage:
    entries: tuple[AwarenessEntry, ...]


@dataclass(frozen=True)
class QueryAwareness:
    pass


Message = SyncStep1 | SyncStep2 | SyncUpdate | AwarenessMessage | QueryAwareness


def write_var_uint(number: int) -> bytes:
    """lib0's unsigned variable-length integer: 7 bits a byte, lowest first, high bit set on
    every byte but the last."""
    encoded = bytearray()
    while number > 0x7F:
        encoded.append(0x80 | (number & 0x7F))
        number >>= 7
    encoded.append(number)
    return bytes(encoded)


def create_sync_step2_message(update: bytes) -> bytes:
    """A SyncStep2 message carrying ``update`` (the answer to a SyncStep1)."""
    return bytes([YMessageType.SYNC, YSyncMessageType.SYNC_STEP2]) + write_message(update)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def var_uint(self) -> int:
        value = 0
        shift = 0
        while True:
            if self.pos >= len(self.data):
                raise ProtocolError("message ends inside a number")
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                break
            shift += 7
            if shift > 56:
                raise ProtocolError("number too long")
        if value > MAX_VAR_UINT:
            raise ProtocolError("number out of range")
        return value

    def var_bytes(self) -> bytes:
        length = self.var_uint()
        end = self.pos + length
        if end > len(self.data):
            raise ProtocolError("message ends inside a byte string")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def var_string(self) -> str:
        try:
            return self.var_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError("string is not UTF-8") from exc

    def finish(self) -> None:
        if self.pos != len(self.data):
            raise ProtocolError("trailing bytes after the message")


def parse_message(data: bytes) -> Message:
    """Parse one binary frame from a client. Raises ProtocolError for anything malformed."""
    reader = _Reader(data)
    kind = reader.var_uint()
    message: Message
    if kind == YMessageType.SYNC:
        sync_kind = reader.var_uint()
        payload = reader.var_bytes()
        if sync_kind == YSyncMessageType.SYNC_STEP1:
            try:
                read_state_vector(payload)
            except UpdateFormatError as exc:
                raise ProtocolError(f"malformed state vector: {exc}") from exc
            message = SyncStep1(payload)
        elif sync_kind == YSyncMessageType.SYNC_STEP2:
            message = SyncStep2(payload)
        elif sync_kind == YSyncMessageType.SYNC_UPDATE:
            message = SyncUpdate(payload)
        else:
            raise ProtocolError(f"unknown sync message type {sync_kind}")
    elif kind == YMessageType.AWARENESS:
        message = AwarenessMessage(parse_awareness_update(reader.var_bytes()))
    elif kind == MESSAGE_QUERY_AWARENESS:
        message = QueryAwareness()
    else:
        raise ProtocolError(f"unsupported message type {kind}")
    reader.finish()
    return message


def parse_awareness_update(data: bytes) -> tuple[AwarenessEntry, ...]:
    """Decode an awareness update (y-protocols ``encodeAwarenessUpdate``)."""
    reader = _Reader(data)
    count = reader.var_uint()
    if count > MAX_AWARENESS_ENTRIES:
        raise ProtocolError("too many awareness entries")
    entries = []
    for _ in range(count):
        client_id = reader.var_uint()
        clock = reader.var_uint()
        raw = reader.var_string()
        entries.append(AwarenessEntry(client_id, clock, _parse_state(raw)))
    reader.finish()
    return tuple(entries)


def _parse_state(raw: str) -> dict[str, Any] | None:
    if raw in ("", "null"):
        return None
    try:
        state = json.loads(raw)
    except ValueError as exc:
        raise ProtocolError("awareness state is not JSON") from exc
    if state is None:
        return None
    if not isinstance(state, dict):
        raise ProtocolError("awareness state is not an object")
    return state


def encode_awareness_update(entries: list[AwarenessEntry]) -> bytes:
    """Encode entries as an awareness update payload (without the message header)."""
    # Not pycrdt's Encoder: its write_var_string writes the length in characters, not bytes,
    # which breaks names like "Zoë".
    parts = [write_var_uint(len(entries))]
    for entry in entries:
        text = json.dumps(entry.state, separators=(",", ":"), ensure_ascii=False).encode()
        parts += [write_var_uint(entry.client_id), write_var_uint(entry.clock)]
        parts += [write_var_uint(len(text)), text]
    return b"".join(parts)


def awareness_message(entries: list[AwarenessEntry]) -> bytes:
    """A complete awareness message for the wire."""
    return create_awareness_message(encode_awareness_update(entries))
