"""WebSocket route for document sync (filled in by the room server work)."""

from fastapi import APIRouter

router = APIRouter()
