"""Response headers: the security headers every answer carries, and download names.

The Content-Security-Policy allows scripts and styles only from our own ``/static/`` files:
the pages have no inline script, no inline style and no ``on…=`` handler (small behaviours
live in ``/static/eenplan.js``; htmx is told not to inject its indicator ``<style>``). Each
response gets a fresh nonce in the policy and in ``request.state.csp_nonce``, for the rare
inline element that cannot be a file; nothing uses it today. So a value that somehow became
markup still could not run script or load anything from elsewhere.

``style-src`` is as strict as ``script-src`` (no ``'unsafe-inline'``): injected CSS can read
a page (attribute selectors that load a URL per guessed character), and nothing of ours
needs inline styles. Styles the editor sets from script (presence colours) go through the
CSSOM, which a policy does not block.
"""

from __future__ import annotations

import secrets
import unicodedata
from urllib.parse import quote, urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import Settings

HSTS = "max-age=31536000"


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def websocket_origin(public_url: str) -> str:
    """``https://host`` → ``wss://host``: where the editor's WebSocket goes."""
    parts = urlsplit(public_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}"


def content_security_policy(nonce: str, *, public_url: str) -> str:
    # 'self' covers ws:/wss: to the same host in current browsers (CSP level 3); the explicit
    # WebSocket origin is for browsers that read 'self' as http(s) only.
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        "style-src": f"'self' 'nonce-{nonce}'",
        "img-src": "'self'",
        "font-src": "'self'",
        "connect-src": f"'self' {websocket_origin(public_url)}",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def security_headers(path: str, nonce: str, *, settings: Settings) -> dict[str, str]:
    """The headers every response gets (unless a route set its own value)."""
    headers = {
        "Content-Security-Policy": content_security_policy(nonce, public_url=settings.public_url),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }
    if not path.startswith("/static/"):
        # Pages, API answers, PDFs and share pages hold a family's plan: never keep a copy in
        # a browser or proxy cache. Only our own static files may be cached.
        headers["Cache-Control"] = "no-store"
    if settings.public_url.startswith("https://"):
        headers["Strict-Transport-Security"] = HSTS
    return headers


class SecurityHeadersMiddleware:
    """Adds ``security_headers`` to every HTTP response (pages, API, static files, errors)."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = new_nonce()
        scope.setdefault("state", {})["csp_nonce"] = nonce
        wanted = security_headers(scope["path"], nonce, settings=self.settings)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in wanted.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def content_disposition(filename: str, *, disposition: str = "attachment") -> str:
    """A Content-Disposition header for every file name (RFC 6266 with RFC 5987): a plain
    ASCII ``filename`` for old clients, and the real name, UTF-8 encoded, in ``filename*``."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    fallback = "".join(c if c.isalnum() or c in "._-" else "-" for c in ascii_name)
    fallback = "-".join(part for part in fallback.split("-") if part) or "download"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
