"""What the sync engine asks the rest of the app: who is connecting, and what may they do.

The engine never decides rights itself and never reads the database for them: the app gives
the room server an ``AccessPolicy`` (``app/live.py`` builds it from the services), as
Hocuspocus takes an ``onAuthenticate`` hook. The policy's methods are called in worker
threads; they may block on the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Access = Literal["edit", "view"]


@dataclass(frozen=True)
class Identity:
    """The signed-in person behind a connection, as the server knows them."""

    user_id: int
    name: str
    role: str
    participant_id: int
    case_id: str
    # Which sign-in the connection rides on (the hash of its session token): when that
    # sign-in ends, or no longer counts, the connection ends too.
    session_key: str = ""


@dataclass(frozen=True)
class Admitted:
    """A handshake the policy allows: who, and with which rights."""

    identity: Identity
    access: Access


class AccessPolicy(Protocol):
    def admit(self, session_token: str | None, doc_id: str) -> Admitted | int:
        """Who asks for ``doc_id`` with this session, and with which rights; or the close
        code to refuse with (``CLOSE_NOT_SIGNED_IN``, ``CLOSE_FORBIDDEN``)."""

    def recheck(self, connections: Sequence[tuple[Identity, str]]) -> list[Admitted | int]:
        """What each ``(identity, doc_id)`` is now, in order: who (the role may have changed)
        with which rights, or the close code to end it with (its sign-in ended or no longer
        counts: ``CLOSE_NOT_SIGNED_IN``; no access left: ``CLOSE_FORBIDDEN``)."""

    def section_of(self, doc_id: str) -> str | None:
        """The section of a document (``'analyse'``, ``'verhaal/12'`` …), None if unknown."""
