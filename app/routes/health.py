"""Readiness for load balancers and Docker: 200 only when the database answers and the
document store is writing (a store whose writes fail takes the node out of rotation)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
def healthz(request: Request) -> JSONResponse:
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse({"status": "database unreachable"}, status_code=503)
    if not request.app.state.rooms.store.healthy:
        return JSONResponse({"status": "document store is not writing"}, status_code=503)
    return JSONResponse({"status": "ok"})
