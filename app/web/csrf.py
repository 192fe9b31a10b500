"""Refuses a request that changes something unless it comes from eenplan's own pages
(``Origin`` / ``Sec-Fetch-Site``, see ``app/security.py``). The WebSocket route checks its
handshake the same way (``ws.py``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response

from app.security import SAFE_METHODS, is_same_origin_request
from app.web.deps import get_settings_dep
from app.web.errors import error_answer

CSRF_MESSAGE = (
    "Deze actie is geweigerd omdat hij niet van een pagina van eenplan kwam. "
    "Ga terug naar eenplan en probeer het opnieuw."
)


async def refuse_cross_site_changes(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """HTTP middleware: 403 for a cross-site change, before any route runs."""
    settings = get_settings_dep(request)
    if request.method not in SAFE_METHODS and not is_same_origin_request(
        request.headers, host_url=str(request.base_url), public_url=settings.public_url
    ):
        return error_answer(request, 403, CSRF_MESSAGE)
    return await call_next(request)
