"""What app/crdt/compat_asyncio.py relies on in asyncio's private protocol. If a Python
upgrade changes it, these fail first, before sends to slow clients start to hang or break."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from app.crdt.compat_asyncio import Unfinished, run_until_it_waits


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(main())


def test_asyncio_futures_still_carry_the_blocking_flag() -> None:
    async def main() -> None:
        future = asyncio.get_running_loop().create_future()
        assert future._asyncio_future_blocking is False

    run(main)


def test_a_coroutine_that_waits_on_a_future_yields_it_marked_blocking() -> None:
    async def main() -> None:
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        done: list[str] = []

        async def send() -> None:
            done.append(await future)

        unfinished = run_until_it_waits(send())
        assert isinstance(unfinished, Unfinished)
        assert unfinished.waiting_for is future
        assert future._asyncio_future_blocking is True
        future.set_result("geschreven")
        await unfinished.finish()
        assert done == ["geschreven"]

    run(main)


def test_a_coroutine_that_never_waits_finishes_at_once() -> None:
    done: list[bool] = []

    async def send() -> None:
        done.append(True)

    assert run_until_it_waits(send()) is None
    assert done == [True]


def test_a_bare_yield_is_finished_after_giving_way() -> None:
    async def main() -> None:
        steps: list[str] = []

        async def send() -> None:
            steps.append("begin")
            await asyncio.sleep(0)
            steps.append("end")

        unfinished = run_until_it_waits(send())
        assert unfinished is not None and unfinished.waiting_for is None
        await unfinished.finish()
        assert steps == ["begin", "end"]

    run(main)


def test_the_error_of_the_awaited_future_reaches_the_coroutine() -> None:
    async def main() -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        caught: list[str] = []

        async def send() -> None:
            try:
                await future
            except ConnectionResetError as exc:
                caught.append(str(exc))
                raise

        unfinished = run_until_it_waits(send())
        assert unfinished is not None
        future.set_exception(ConnectionResetError("weg"))
        with pytest.raises(ConnectionResetError):
            await unfinished.finish()
        assert caught == ["weg"]

    run(main)


def test_an_abandoned_send_runs_its_cleanup() -> None:
    async def main() -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        cleaned: list[bool] = []

        async def send() -> None:
            try:
                await future
            finally:
                cleaned.append(True)

        unfinished = run_until_it_waits(send())
        assert unfinished is not None
        unfinished.abandon()
        assert cleaned == [True]
        future.cancel()

    run(main)
