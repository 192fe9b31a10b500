"""One live WebSocket in a room: who is on it, what they may do, and a bounded send queue.

Rights live here, per connection, and can change while it is open (downgrade on revocation).
Sending never blocks the room: a message goes into the connection's own queue, and a client
that does not keep up is closed (1013) instead of slowing everyone down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Literal

from starlette.websockets import WebSocket, WebSocketState

log = logging.getLogger(__name__)

Access = Literal["edit", "view"]

# Named close codes (4xxx: ours, the rest: RFC 6455).
CLOSE_GOING_AWAY = 1001
CLOSE_UNSUPPORTED = 1003
CLOSE_INVALID = 1007
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL = 1011
CLOSE_RESTART = 1012
CLOSE_TRY_AGAIN = 1013
CLOSE_NOT_SIGNED_IN = 4401
CLOSE_FORBIDDEN = 4403

DEFAULT_SEND_QUEUE = 512

COLOURS = (
    ("#1f77b4", "#1f77b433"),
    ("#d62728", "#d6272833"),
    ("#2ca02c", "#2ca02c33"),
    ("#9467bd", "#9467bd33"),
    ("#ff7f0e", "#ff7f0e33"),
    ("#17becf", "#17becf33"),
    ("#8c564b", "#8c564b33"),
    ("#e377c2", "#e377c233"),
)


@dataclass(frozen=True)
class Identity:
    """The signed-in person behind a connection, as the server knows them."""

    user_id: int
    name: str
    role: str
    participant_id: int
    case_id: str

    def presence(self) -> dict[str, str]:
        """The ``user`` field the server writes into every awareness state of this person."""
        colour, light = COLOURS[self.user_id % len(COLOURS)]
        return {"name": self.name, "role": self.role, "color": colour, "colorLight": light}


@dataclass(eq=False)
class Connection:
    websocket: WebSocket
    doc_id: str
    identity: Identity
    access: Access
    queue_size: int = DEFAULT_SEND_QUEUE
    client_ids: set[int] = field(default_factory=set)
    close_code: int | None = None
    _queue: asyncio.Queue[bytes | None] = field(init=False)
    _closing: asyncio.Event = field(init=False, default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._queue = asyncio.Queue(self.queue_size)

    @property
    def can_edit(self) -> bool:
        return self.access == "edit"

    @property
    def is_closing(self) -> bool:
        return self.close_code is not None

    def send(self, message: bytes) -> None:
        """Queue a message; a full queue closes this connection (it is too slow)."""
        if self.is_closing:
            return
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            log.warning("closing a slow connection of user %s", self.identity.user_id)
            self.close(CLOSE_TRY_AGAIN)

    def close(self, code: int) -> None:
        """Close with ``code`` as soon as possible; queued messages are dropped."""
        if self.is_closing:
            return
        self.close_code = code
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(None)
        self._closing.set()

    async def send_loop(self) -> None:
        """Drain the queue to the socket; ends after sending the close frame."""
        while True:
            message = await self._queue.get()
            if message is None:
                break
            await self.websocket.send_bytes(message)
        if self.websocket.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await self.websocket.close(self.close_code or CLOSE_GOING_AWAY)
