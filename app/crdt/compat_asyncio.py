"""Stepping a coroutine by hand, the way an asyncio task does: the one place that relies on
asyncio's private ``_asyncio_future_blocking`` protocol.

``Connection.send`` starts a WebSocket send in the caller's own task
(``run_until_it_waits``): with uvicorn it usually finishes without waiting, which saves a task
switch per receiver. When it does have to wait, the coroutine yields the future it waits for,
and the connection's sender task finishes it later (``Unfinished.finish``) exactly as
``asyncio.Task`` would have.

What this relies on, checked by ``tests/crdt/test_compat_asyncio.py`` so an upgrade that
changes it fails loudly:

- a coroutine that awaits an asyncio future yields that future, with the future's
  ``_asyncio_future_blocking`` set to True;
- a bare yield (``await asyncio.sleep(0)``) yields None;
- the driver of the coroutine sets ``_asyncio_future_blocking`` back to False before it waits
  for the future itself, and sends None (or throws the future's error) to resume.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any


@dataclass(eq=False)
class Unfinished:
    """A coroutine that ``run_until_it_waits`` ran until it had to wait for ``waiting_for``."""

    coro: Coroutine[Any, Any, None]
    waiting_for: Any

    async def finish(self) -> None:
        """Run the rest of the coroutine, as a task would have (the same steps, in this task)."""
        waiting_for = self.waiting_for
        while True:
            try:
                if waiting_for is None:
                    await asyncio.sleep(0)  # it only gave way to other tasks (a bare yield)
                else:
                    # What a task does with a future its coroutine yielded: take it over.
                    waiting_for._asyncio_future_blocking = False
                    await waiting_for
            except BaseException as exc:
                try:
                    waiting_for = self.coro.throw(exc)
                except StopIteration:
                    return
                continue
            try:
                waiting_for = self.coro.send(None)
            except StopIteration:
                return

    def abandon(self) -> None:
        """Give the coroutine up (its ``finally`` blocks run)."""
        self.coro.close()


def run_until_it_waits(coro: Coroutine[Any, Any, None]) -> Unfinished | None:
    """Run ``coro`` in the calling task until it first has to wait: None when it finished
    without waiting, else what is left of it. What the coroutine raises is raised here."""
    try:
        waiting_for = coro.send(None)
    except StopIteration:
        return None
    return Unfinished(coro, waiting_for)
