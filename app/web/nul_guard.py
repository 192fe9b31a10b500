"""Refuse a NUL character (U+0000) in what a request sends, before any route runs.

Nobody types one; it only arrives from scripts, and PostgreSQL cannot store it in text (the
insert fails), so it is refused at the door with a plain 400 instead: in the address
(``%00``), in a form (``%00`` urlencoded, a raw byte in multipart) or in JSON (``\\u0000``).
Document changes travel over the WebSocket, not through here.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

NUL_REFUSED = (
    "Er staat een onzichtbaar teken (NUL) in wat je stuurde. Haal het weg en probeer het opnieuw."
)
_CHANGES = {"POST", "PUT", "PATCH", "DELETE"}


def _has_nul(body: bytes, content_type: str) -> bool:
    if "application/x-www-form-urlencoded" in content_type:
        return b"%00" in body or b"\x00" in body
    if "json" in content_type:
        return b"\\u0000" in body.lower() or b"\x00" in body
    return b"\x00" in body


class RefuseNulMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if b"%00" in scope.get("query_string", b"") or "\x00" in scope["path"]:
            await self._refuse(scope, send)
            return
        if scope["method"] not in _CHANGES:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        if _has_nul(body, content_type):
            await self._refuse(scope, send)
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body}], receive), send)

    @staticmethod
    async def _refuse(scope: Scope, send: Send) -> None:
        if scope["path"].startswith("/api/"):
            body = json.dumps({"detail": NUL_REFUSED}).encode()
            kind = b"application/json"
        else:
            page = f"<!doctype html><html lang='nl'><title>Fout</title><p>{NUL_REFUSED}</p></html>"
            body = page.encode()
            kind = b"text/html; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that gives the buffered messages once, then the real one's (which waits
    for the client to go)."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
