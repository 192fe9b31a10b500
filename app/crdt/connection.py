"""One live WebSocket in a room: who is on it, what they may do, and a bounded send queue.

Rights live here, per connection, and can change while it is open (downgrade on revocation).
Sending never blocks the room: a message goes into the connection's own queue, and a client
that does not keep up is closed (1013) instead of slowing everyone down.

When nothing is queued or being sent, ``send`` writes at once instead: it starts the ASGI send
right there, which with uvicorn finishes without waiting whenever the socket can take more.
Only if it has to wait (the client is slow) does the rest of that send go to the queue, ahead of
anything sent after it. A room fanning an edit out to fifty people thus costs fifty writes, not
fifty task switches as well.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

from starlette.websockets import WebSocket, WebSocketState

from app.crdt.close_codes import CLOSE_GOING_AWAY, CLOSE_TRY_AGAIN
from app.crdt.compat_asyncio import Unfinished, run_until_it_waits
from app.crdt.policy import Access, Identity

log = logging.getLogger(__name__)


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


def presence_of(identity: Identity) -> dict[str, str]:
    """The ``user`` field the server writes into every awareness state of this person."""
    colour, light = COLOURS[identity.user_id % len(COLOURS)]
    return {"name": identity.name, "role": identity.role, "color": colour, "colorLight": light}


class TokenBucket:
    """At most ``rate`` events a second on average, with bursts of up to ``burst``."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._at = time.monotonic()

    def take(self) -> bool:
        """Use one token; False when none is left (the caller is over its rate)."""
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


@dataclass(eq=False)
class Connection:
    websocket: WebSocket
    doc_id: str
    identity: Identity
    access: Access
    queue_size: int = DEFAULT_SEND_QUEUE
    client_ids: set[int] = field(default_factory=set)
    close_code: int | None = None
    close_reason: str = ""
    # The room asked this client for changes it lacks (a SyncStep1) and awaits its answer.
    asked_for_missing: bool = False
    # None: no limit (tests of the room alone); the server gives every connection one.
    messages: TokenBucket | None = None
    _queue: asyncio.Queue[bytes | Unfinished | None] = field(init=False)
    _closing: asyncio.Event = field(init=False, default_factory=asyncio.Event)
    _sending: bool = field(init=False, default=False)
    _sender: asyncio.Task[None] | None = field(init=False, default=None)
    _writes_open: asyncio.Event = field(init=False, default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._queue = asyncio.Queue(self.queue_size)
        self._writes_open.set()

    def hold_writes(self) -> None:
        """Rights are being checked again: writes wait until ``release_writes``."""
        self._writes_open.clear()

    def release_writes(self) -> None:
        self._writes_open.set()

    async def writes_allowed(self) -> None:
        """Wait while the connection's rights are being checked again."""
        await self._writes_open.wait()

    @property
    def can_edit(self) -> bool:
        return self.access == "edit"

    @property
    def is_closing(self) -> bool:
        return self.close_code is not None

    def send(self, message: bytes) -> None:
        """Send now if the line is free, else queue; a full queue closes this connection
        (it is too slow)."""
        if self.is_closing:
            return
        if not self._sending and self._queue.empty():
            self._send_now(message)
            return
        self._enqueue(message)

    def _send_now(self, message: bytes) -> None:
        try:
            unfinished = run_until_it_waits(self.websocket.send_bytes(message))
        except Exception as exc:
            log.info("a send to user %s failed: %r", self.identity.user_id, exc)
            self.close(CLOSE_GOING_AWAY)
            return
        if unfinished is not None:  # it has to wait for the client: the sender finishes it
            self._enqueue(unfinished)

    def _enqueue(self, item: bytes | Unfinished) -> None:
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            log.warning("closing a slow connection of user %s", self.identity.user_id)
            self.close(CLOSE_TRY_AGAIN, "too slow", stuck=True)

    def allow_message(self) -> bool:
        """Count one incoming message; False when the connection is over its rate."""
        return self.messages is None or self.messages.take()

    def close(self, code: int, reason: str = "", *, stuck: bool = False) -> None:
        """Close with ``code`` as soon as possible; queued messages are dropped. ``stuck``:
        the client stopped reading, so a send under way is given up too."""
        if self.is_closing:
            return
        self.close_code = code
        # A close reason is at most 123 bytes.
        self.close_reason = reason.encode()[:120].decode("utf-8", "ignore")
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if isinstance(item, Unfinished):
                item.abandon()
        self._queue.put_nowait(None)
        self._closing.set()
        if stuck and self._sending and self._sender is not None:
            # The send under way waits for a client that stopped reading: it would hold the
            # socket open forever. Stop it; the handler then ends and the socket is dropped.
            self._sender.cancel()

    async def send_loop(self) -> None:
        """Drain the queue to the socket; ends after sending the close frame."""
        self._sender = asyncio.current_task()
        while True:
            item = await self._queue.get()
            if item is None:
                break
            self._sending = True
            try:
                if isinstance(item, Unfinished):
                    await item.finish()
                else:
                    await self.websocket.send_bytes(item)
            finally:
                self._sending = False
        if self.websocket.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await self.websocket.close(
                    self.close_code or CLOSE_GOING_AWAY, reason=self.close_reason or None
                )
