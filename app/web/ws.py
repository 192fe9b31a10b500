"""WebSocket route for document sync: check who is asking, then hand over to the room server.

Refusals accept the handshake and close at once with a named code, because a browser only sees
the code of a connection that was opened: 4401 not signed in, 4403 no access (an unknown
document, not a participant, or a handshake from another site).
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, WebSocket
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.crdt.close_codes import CLOSE_FORBIDDEN
from app.security import SESSION_COOKIE, is_same_origin_request
from app.services import last_visit
from app.web.deps import EngineDep, RoomsDep, SettingsDep

router = APIRouter()
log = logging.getLogger(__name__)


def _page_origin(websocket: WebSocket) -> str:
    """The origin of a page served by this host (http/https, not ws/wss)."""
    scheme = "https" if websocket.url.scheme in ("wss", "https") else "http"
    return f"{scheme}://{websocket.url.netloc}"


async def _refuse(websocket: WebSocket, code: int) -> None:
    await websocket.accept()
    await websocket.close(code)


def _mark_seen(engine: Engine, user_id: int, doc_id: str) -> None:
    try:
        with Session(engine) as session:
            last_visit.mark_seen(session, user_id=user_id, document_id=doc_id)
    except Exception:  # never worth refusing or breaking the sync over
        log.exception("could not mark document %s as seen", doc_id)


@router.websocket("/ws/docs/{doc_id}")
async def document_socket(
    websocket: WebSocket, doc_id: str, settings: SettingsDep, rooms: RoomsDep, engine: EngineDep
) -> None:
    """y-websocket sync for one document, with the rights of the signed-in participant."""
    if not is_same_origin_request(
        websocket.headers, host_url=_page_origin(websocket), public_url=settings.public_url
    ):
        await _refuse(websocket, CLOSE_FORBIDDEN)
        return
    grant = await rooms.authorize(websocket.cookies.get(SESSION_COOKIE), doc_id)
    if isinstance(grant, int):
        await _refuse(websocket, grant)
        return
    await websocket.accept()
    user_id = grant.identity.user_id
    # Opening the document marks it seen; so does leaving it, since live changes showed.
    await run_in_threadpool(_mark_seen, engine, user_id, doc_id)
    try:
        await rooms.serve(websocket, grant)
    finally:
        await run_in_threadpool(_mark_seen, engine, user_id, doc_id)
