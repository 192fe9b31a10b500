"""The Redis bus: a broken subscription comes back and says that events may have been missed."""

from __future__ import annotations

import asyncio
import os

import pytest

from app.crdt.pubsub import Event, RedisPubSub

REDIS_URL = os.environ.get("EENPLAN_TEST_REDIS_URL")
if not REDIS_URL and os.environ.get("CI") == "true":
    raise RuntimeError("CI must set EENPLAN_TEST_REDIS_URL so the Redis tests run")

needs_redis = pytest.mark.skipif(not REDIS_URL, reason="EENPLAN_TEST_REDIS_URL is not set")


@needs_redis
def test_a_broken_subscription_comes_back_and_reports_the_gap() -> None:
    assert REDIS_URL is not None
    channel = f"eenplan:test:{os.getpid()}:{id(object())}"

    async def scenario() -> tuple[list[bytes], int]:
        sender = RedisPubSub(REDIS_URL, channel=channel)
        receiver = RedisPubSub(REDIS_URL, channel=channel)
        received: asyncio.Queue[Event] = asyncio.Queue()
        gap = asyncio.Event()
        gaps = 0

        def on_gap() -> None:
            nonlocal gaps
            gaps += 1
            gap.set()

        await sender.start(lambda event: None)
        await receiver.start(received.put_nowait, on_gap=on_gap)
        try:
            sender.publish("update", "doc", b"voor")
            first = await asyncio.wait_for(received.get(), 10)
            # The subscription's connection drops, as when Redis restarts.
            await receiver._subscription.connection.disconnect()  # type: ignore[attr-defined]
            await asyncio.wait_for(gap.wait(), 10)
            sender.publish("update", "doc", b"na")
            second = await asyncio.wait_for(received.get(), 10)
        finally:
            await sender.stop()
            await receiver.stop()
        return [first.payload, second.payload], gaps

    payloads, gaps = asyncio.run(scenario())
    assert payloads == [b"voor", b"na"]
    assert gaps == 1
