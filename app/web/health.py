"""Readiness for load balancers and Docker: 200 only when the database answers and the
document store is writing (a store whose writes fail takes the node out of rotation)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.db import is_reachable
from app.web.deps import EngineDep, RoomsDep

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
def healthz(engine: EngineDep, rooms: RoomsDep) -> JSONResponse:
    if not is_reachable(engine):
        return JSONResponse({"status": "database unreachable"}, status_code=503)
    if not rooms.store.healthy:
        return JSONResponse({"status": "document store is not writing"}, status_code=503)
    return JSONResponse({"status": "ok"})
