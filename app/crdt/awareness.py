"""Presence in a room, tied to the signed-in identity.

The server keeps its own table of awareness states instead of pycrdt's ``Awareness`` (which
announces the server itself as a peer). A connection may only speak for client ids it claimed
first; every state it sends gets a ``user`` field written by the server (name, role, colour),
so nobody can pose as someone else.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from app.crdt.connection import Connection, presence_of
from app.crdt.protocol import AwarenessEntry

MAX_CLIENT_IDS_PER_CONNECTION = 8
# Yjs drops a peer it has not heard from in 30 s; we forget states of other nodes the same way.
REMOTE_STATE_TIMEOUT = 30.0


@dataclass
class _Presence:
    clock: int
    state: dict[str, Any] | None
    owner: Connection | None  # None: a connection on another node
    user_id: int | None
    seen_at: float


class PresenceTable:
    """Who is present in one room, by Yjs client id."""

    def __init__(self) -> None:
        self._entries: dict[int, _Presence] = {}

    def accept_local(
        self, conn: Connection, entries: tuple[AwarenessEntry, ...]
    ) -> list[AwarenessEntry]:
        """Take the entries a connection sent; return the accepted ones, rewritten by us."""
        accepted = []
        for entry in entries:
            current = self._entries.get(entry.client_id)
            if not self._may_speak_for(conn, entry.client_id, current):
                continue
            if current is not None and not _is_newer(entry, current):
                continue
            state = None
            if entry.state is not None:
                state = {**entry.state, "user": presence_of(conn.identity)}
            conn.client_ids.add(entry.client_id)
            self._entries[entry.client_id] = _Presence(
                entry.clock, state, conn, conn.identity.user_id, time.monotonic()
            )
            accepted.append(AwarenessEntry(entry.client_id, entry.clock, state))
        return accepted

    def accept_remote(
        self, entries: tuple[AwarenessEntry, ...], *, user_id: int | None
    ) -> list[AwarenessEntry]:
        """Take entries another node already checked and rewrote."""
        accepted = []
        for entry in entries:
            current = self._entries.get(entry.client_id)
            if current is not None and current.owner is not None:
                continue  # a local connection owns it here
            if current is not None and not _is_newer(entry, current):
                continue
            self._entries[entry.client_id] = _Presence(
                entry.clock, entry.state, None, user_id, time.monotonic()
            )
            accepted.append(entry)
        return accepted

    def remove_connection(self, conn: Connection) -> list[AwarenessEntry]:
        """Forget the connection's states; return the removals to tell the others."""
        removed = []
        for client_id in sorted(conn.client_ids):
            current = self._entries.get(client_id)
            if current is None or current.owner is not conn:
                continue
            current.clock += 1
            current.owner = None
            was_present = current.state is not None
            current.state = None
            if was_present:
                removed.append(AwarenessEntry(client_id, current.clock, None))
        return removed

    def snapshot(self) -> list[AwarenessEntry]:
        """Everyone present now, for a late joiner."""
        now = time.monotonic()
        return [
            AwarenessEntry(client_id, p.clock, p.state)
            for client_id, p in self._entries.items()
            if p.state is not None
            and (p.owner is not None or now - p.seen_at < REMOTE_STATE_TIMEOUT)
        ]

    def _may_speak_for(self, conn: Connection, client_id: int, current: _Presence | None) -> bool:
        if client_id in conn.client_ids:
            return True
        if len(conn.client_ids) >= MAX_CLIENT_IDS_PER_CONNECTION:
            return False
        if current is None or (current.owner is None and current.state is None):
            return True
        # A reconnecting tab of the same person may take over its own old client id.
        return current.user_id == conn.identity.user_id


def _is_newer(entry: AwarenessEntry, current: _Presence) -> bool:
    # The rule of y-protocols' applyAwarenessUpdate.
    return current.clock < entry.clock or (
        current.clock == entry.clock and entry.state is None and current.state is not None
    )
