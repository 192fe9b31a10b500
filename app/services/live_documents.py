"""The live state of documents, as the room server of this node knows it.

Freezing a version, printing the concept, comparing with now and restoring need the content of
documents as it is at this moment, including changes not yet compacted. The room server
(``app/crdt/server.py``) satisfies this protocol; services see it only through here, so they
never depend on the sync engine's server.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol


class LiveDocuments(Protocol):
    async def current_state(self, doc_id: str) -> bytes:
        """The document's whole state as one update, all of it stored."""

    async def apply_server_update(
        self, doc_id: str, update: bytes, *, author_user_id: int | None
    ) -> None:
        """Store a change made by the server and send it to every live connection."""

    def announce(self, doc_id: str, notice: dict[str, Any]) -> None:
        """Show a notice to everyone who has the document open, on every node."""


async def current_states(live: LiveDocuments, doc_ids: Iterable[str]) -> dict[str, bytes]:
    """Document id → its whole state now, for each of ``doc_ids``."""
    return {doc_id: await live.current_state(doc_id) for doc_id in doc_ids}
