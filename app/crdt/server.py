"""Placeholder room server (replaced by the real one)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from app.services.access_bus import AccessBus
from app.settings import Settings


class RoomServer:
    def __init__(self, *, engine: Engine, settings: Settings, access_bus: AccessBus) -> None:
        self.engine = engine
        self.settings = settings
        self.access_bus = access_bus

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None
