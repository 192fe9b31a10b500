"""A connection sends at once when it can, queues behind a send that waits, and drops a client
that does not keep up."""

from __future__ import annotations

import asyncio
from typing import Any

from app.crdt.close_codes import CLOSE_GOING_AWAY, CLOSE_TRY_AGAIN
from app.crdt.connection import Connection
from app.crdt.policy import Identity


class GatedSocket:
    """A socket whose sends wait while the gate is closed (a client that reads slowly)."""

    def __init__(self, *, bare_yield: bool = False) -> None:
        self.sent: list[bytes] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.bare_yield = bare_yield
        self.closed_with: int | None = None
        self.application_state: Any = None

    async def send_bytes(self, data: bytes) -> None:
        if self.bare_yield:
            await asyncio.sleep(0)
        await self.gate.wait()
        self.sent.append(data)

    async def close(self, code: int) -> None:
        self.closed_with = code


class BrokenSocket:
    async def send_bytes(self, data: bytes) -> None:
        raise OSError("the client went away")


def connection(socket: Any, *, queue_size: int = 8) -> Connection:
    identity = Identity(1, "Sanne", "jongere", 1, "case")
    return Connection(socket, "doc", identity, "edit", queue_size=queue_size)


def test_an_idle_connection_writes_at_once_without_its_send_task() -> None:
    async def scenario() -> list[bytes]:
        socket = GatedSocket()
        conn = connection(socket)
        conn.send(b"een")
        conn.send(b"twee")
        return list(socket.sent)  # no task ran in between

    assert asyncio.run(scenario()) == [b"een", b"twee"]


def test_messages_after_a_send_that_waits_go_out_after_it_in_order() -> None:
    async def scenario(bare_yield: bool) -> list[bytes]:
        socket = GatedSocket(bare_yield=bare_yield)
        socket.gate.clear()
        conn = connection(socket)
        sender = asyncio.create_task(conn.send_loop())
        conn.send(b"een")  # starts, then waits for the gate
        conn.send(b"twee")
        await asyncio.sleep(0)
        conn.send(b"drie")
        assert socket.sent == []
        socket.gate.set()
        for _ in range(20):
            await asyncio.sleep(0)
        conn.send(b"vier")  # the line is free again
        for _ in range(20):
            await asyncio.sleep(0)
        sent = list(socket.sent)
        conn.close(1000)
        await asyncio.wait_for(sender, 5)
        return sent

    assert asyncio.run(scenario(False)) == [b"een", b"twee", b"drie", b"vier"]
    assert asyncio.run(scenario(True)) == [b"een", b"twee", b"drie", b"vier"]


def test_a_client_that_does_not_keep_up_is_closed_with_1013() -> None:
    async def scenario() -> tuple[int | None, bool, list[bytes]]:
        socket = GatedSocket()
        socket.gate.clear()  # the client stopped reading
        conn = connection(socket, queue_size=3)
        sender = asyncio.create_task(conn.send_loop())
        for i in range(10):
            conn.send(f"bericht {i}".encode())
            await asyncio.sleep(0)
        # Its stuck send is given up, so the handler ends and the socket is dropped.
        await asyncio.wait({sender}, timeout=5)
        return conn.close_code, sender.done(), socket.sent

    assert asyncio.run(scenario()) == (CLOSE_TRY_AGAIN, True, [])


def test_a_send_that_fails_closes_only_that_connection() -> None:
    async def scenario() -> int | None:
        conn = connection(BrokenSocket())
        conn.send(b"een")
        conn.send(b"twee")  # ignored: the connection is closing
        return conn.close_code

    assert asyncio.run(scenario()) == CLOSE_GOING_AWAY
