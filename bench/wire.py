"""The two wire protocols the load generator speaks: y-websocket (eenplan) and Hocuspocus.

Both carry the same Yjs sync messages; Hocuspocus puts the document name (a lib0 varstring) in
front of every message, wants an auth message before anything else, answers every update with
a SyncStatus message and echoes updates back to their sender.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.crdt.protocol import write_var_uint as var_uint

MSG_SYNC = 0
MSG_AWARENESS = 1
MSG_AUTH = 2
MSG_SYNC_REPLY = 4  # Hocuspocus only: a sync message the server sends as an answer
MSG_SYNC_STATUS = 8  # Hocuspocus only: "your update was applied"

SYNC_STEP1 = 0
SYNC_STEP2 = 1
SYNC_UPDATE = 2

AUTH_TOKEN = 0
AUTH_DENIED = 1
AUTH_OK = 2


def var_bytes(data: bytes) -> bytes:
    return var_uint(len(data)) + data


def var_string(text: str) -> bytes:
    return var_bytes(text.encode())


def read_var_uint(data: bytes, pos: int) -> tuple[int, int]:
    n = 0
    shift = 0
    while True:
        byte = data[pos]
        pos += 1
        n |= (byte & 0x7F) << shift
        if byte < 0x80:
            return n, pos
        shift += 7


def read_var_bytes(data: bytes, pos: int) -> tuple[bytes, int]:
    length, pos = read_var_uint(data, pos)
    return data[pos : pos + length], pos + length


@dataclass(frozen=True)
class Incoming:
    """One message from a server, reduced to what the load generator needs."""

    kind: str  # "step1", "step2", "update", "auth-ok", "auth-denied", "status", "other"
    payload: bytes = b""


class YWebsocketWire:
    """y-websocket framing (eenplan)."""

    name = "y-websocket"

    def __init__(self, doc_name: str) -> None:
        self.doc_name = doc_name

    def hello(self) -> list[bytes]:
        return []

    def sync_step1(self, state_vector: bytes) -> bytes:
        return bytes((MSG_SYNC, SYNC_STEP1)) + var_bytes(state_vector)

    def sync_step2(self, update: bytes) -> bytes:
        return bytes((MSG_SYNC, SYNC_STEP2)) + var_bytes(update)

    def update(self, update: bytes) -> bytes:
        return bytes((MSG_SYNC, SYNC_UPDATE)) + var_bytes(update)

    def awareness(self, payload: bytes) -> bytes:
        return bytes((MSG_AWARENESS,)) + var_bytes(payload)

    def parse(self, data: bytes) -> Incoming:
        return _parse_body(data, 0)


class HocuspocusWire:
    """Hocuspocus framing: every message starts with the document name."""

    name = "hocuspocus"

    def __init__(self, doc_name: str, token: str) -> None:
        self.doc_name = doc_name
        self.token = token
        self.prefix = var_string(doc_name)

    def hello(self) -> list[bytes]:
        return [self.prefix + bytes((MSG_AUTH, AUTH_TOKEN)) + var_string(self.token)]

    def sync_step1(self, state_vector: bytes) -> bytes:
        return self.prefix + bytes((MSG_SYNC, SYNC_STEP1)) + var_bytes(state_vector)

    def sync_step2(self, update: bytes) -> bytes:
        return self.prefix + bytes((MSG_SYNC, SYNC_STEP2)) + var_bytes(update)

    def update(self, update: bytes) -> bytes:
        return self.prefix + bytes((MSG_SYNC, SYNC_UPDATE)) + var_bytes(update)

    def awareness(self, payload: bytes) -> bytes:
        return self.prefix + bytes((MSG_AWARENESS,)) + var_bytes(payload)

    def parse(self, data: bytes) -> Incoming:
        _name, pos = read_var_bytes(data, 0)
        return _parse_body(data, pos)


def _parse_body(data: bytes, pos: int) -> Incoming:
    kind, pos = read_var_uint(data, pos)
    if kind in (MSG_SYNC, MSG_SYNC_REPLY):
        sub, pos = read_var_uint(data, pos)
        payload, _ = read_var_bytes(data, pos)
        if sub == SYNC_STEP1:
            return Incoming("step1", payload)
        if sub == SYNC_STEP2:
            return Incoming("step2", payload)
        return Incoming("update", payload)
    if kind == MSG_AUTH:
        sub, pos = read_var_uint(data, pos)
        return Incoming("auth-ok" if sub == AUTH_OK else "auth-denied")
    if kind == MSG_SYNC_STATUS:
        return Incoming("status")
    return Incoming("other")


def awareness_payload(client_id: int, clock: int, state_json: str) -> bytes:
    """An awareness update with one client's state (y-protocols ``encodeAwarenessUpdate``)."""
    return var_uint(1) + var_uint(client_id) + var_uint(clock) + var_string(state_json)
