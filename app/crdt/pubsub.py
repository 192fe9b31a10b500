"""Fan-out between nodes: committed updates, awareness and access changes.

A node publishes what its own connections changed, after it is stored; other nodes apply it to
their in-memory documents and relay it to their connections without storing it again (the origin
of a change decides whether it is stored: a connection, yes; another node, no).

``InProcessPubSub`` serves one node (and lets tests join several servers in one process through a
shared ``InProcessHub``); ``RedisPubSub`` is used when ``EENPLAN_REDIS_URL`` is set.

Redis pub/sub forgets what it sent while a subscriber was away. After the subscription broke and
is back, the bus calls ``on_gap``: the node then reads its open documents from the database
(every update is stored before it is published) and checks every live connection's rights again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

log = logging.getLogger(__name__)

EventKind = Literal["update", "awareness", "access"]
KINDS: tuple[EventKind, ...] = ("update", "awareness", "access")
CHANNEL = "eenplan:rooms"
MAX_PENDING = 10_000


@dataclass(frozen=True)
class Event:
    """One fan-out message. ``key`` is a document id (update, awareness) or a case id (access)."""

    kind: EventKind
    node: str
    key: str
    payload: bytes = b""

    def encode(self) -> bytes:
        return f"{self.kind}|{self.node}|{self.key}|".encode() + self.payload

    @classmethod
    def decode(cls, data: bytes) -> Event:
        kind, node, key, payload = data.split(b"|", 3)
        text_kind = kind.decode()
        if text_kind not in KINDS:
            raise ValueError(f"unknown event kind {text_kind!r}")
        return cls(text_kind, node.decode(), key.decode(), payload)  # type: ignore[arg-type]


EventHandler = Callable[[Event], None]
GapHandler = Callable[[], None]


class PubSub(Protocol):
    """What the room server needs from a fan-out bus."""

    node_id: str

    async def start(self, handler: EventHandler, *, on_gap: GapHandler | None = None) -> None:
        """Begin delivering events from other nodes to ``handler`` (on the event loop);
        ``on_gap`` is called when events may have been missed (and none are any more)."""

    def publish(self, kind: EventKind, key: str, payload: bytes = b"") -> None:
        """Send an event to the other nodes, in order, without waiting."""

    async def stop(self) -> None:
        """Send what is queued and stop."""


def new_node_id() -> str:
    return uuid.uuid4().hex[:12]


class InProcessHub:
    """Connects the ``InProcessPubSub`` instances that share it (several servers in a test)."""

    def __init__(self) -> None:
        self.members: list[InProcessPubSub] = []


class InProcessPubSub:
    """A bus for one process. Alone it is silent; with a shared hub it reaches its peers."""

    def __init__(self, hub: InProcessHub | None = None) -> None:
        self.node_id = new_node_id()
        self.hub = hub or InProcessHub()
        self._handler: EventHandler | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self, handler: EventHandler, *, on_gap: GapHandler | None = None) -> None:
        self._handler = handler
        self._loop = asyncio.get_running_loop()
        self.hub.members.append(self)

    def publish(self, kind: EventKind, key: str, payload: bytes = b"") -> None:
        event = Event(kind, self.node_id, key, payload)
        for member in list(self.hub.members):
            if member is not self:
                member._deliver(event)

    def _deliver(self, event: Event) -> None:
        if self._handler is None or self._loop is None or self._loop.is_closed():
            return
        # Members may run on different loops (one TestClient each): hop thread-safely.
        self._loop.call_soon_threadsafe(self._handler, event)

    async def stop(self) -> None:
        with contextlib.suppress(ValueError):
            self.hub.members.remove(self)
        self._handler = None


class RedisPubSub:
    """Fan-out over one Redis channel. Publishing goes through a queue drained by one task, so
    events leave in the order they were published."""

    def __init__(self, url: str, *, channel: str = CHANNEL) -> None:
        self.node_id = new_node_id()
        self.url = url
        self.channel = channel
        self._outbox: asyncio.Queue[Event | None] = asyncio.Queue(MAX_PENDING)
        self._tasks: list[asyncio.Task[None]] = []
        self._client: object | None = None
        self._subscription: object | None = None

    async def start(self, handler: EventHandler, *, on_gap: GapHandler | None = None) -> None:
        import redis.asyncio as redis  # local import: a single node never loads Redis

        client = redis.Redis.from_url(self.url)
        self._client = client
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        self._subscription = pubsub
        # Subscribed before start() returns: nothing published after this point is missed.
        await pubsub.subscribe(self.channel)
        self._tasks = [
            asyncio.create_task(self._listen(pubsub, handler, on_gap), name="redis-listen"),
            asyncio.create_task(self._send(client), name="redis-send"),
        ]

    def publish(self, kind: EventKind, key: str, payload: bytes = b"") -> None:
        try:
            self._outbox.put_nowait(Event(kind, self.node_id, key, payload))
        except asyncio.QueueFull:
            log.error("redis outbox full; dropping a %s event for %s", kind, key)

    async def _send(self, client: object) -> None:
        while True:
            event = await self._outbox.get()
            if event is None:
                return
            for attempt in range(3):
                try:
                    await client.publish(self.channel, event.encode())  # type: ignore[attr-defined]
                    break
                except Exception:
                    log.exception("publishing to redis failed (attempt %d)", attempt + 1)
                    await asyncio.sleep(0.2 * (attempt + 1))

    async def _listen(
        self, pubsub: object, handler: EventHandler, on_gap: GapHandler | None
    ) -> None:
        broken = False
        while True:
            try:
                if broken:
                    # Subscribed again before anyone looks at the database, so an event is
                    # either stored before this point (found there) or delivered after it.
                    await pubsub.subscribe(self.channel)  # type: ignore[attr-defined]
                    broken = False
                    log.warning("redis subscription is back; catching up from the database")
                    if on_gap is not None:
                        on_gap()
                async for message in pubsub.listen():  # type: ignore[attr-defined]
                    if message.get("type") != "message":
                        continue
                    try:
                        event = Event.decode(message["data"])
                    except Exception:
                        log.warning("ignoring a malformed event on %s", self.channel)
                        continue
                    if event.node != self.node_id:
                        handler(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("redis subscription failed; reconnecting")
                broken = True
                await asyncio.sleep(0.5)

    async def stop(self) -> None:
        if not self._tasks:
            return
        listen, send = self._tasks
        with contextlib.suppress(asyncio.QueueFull):
            self._outbox.put_nowait(None)
        with contextlib.suppress(asyncio.TimeoutError, Exception):
            await asyncio.wait_for(send, timeout=5)
        listen.cancel()
        send.cancel()
        await asyncio.gather(listen, send, return_exceptions=True)
        self._tasks = []
        if self._subscription is not None:
            await self._subscription.aclose()  # type: ignore[attr-defined]
        if self._client is not None:
            await self._client.aclose()  # type: ignore[attr-defined]


def make_pubsub(redis_url: str | None) -> PubSub:
    """Redis when a URL is configured, else the in-process bus."""
    if redis_url:
        return RedisPubSub(redis_url)
    return InProcessPubSub()
