"""The app factory: ``create_app(settings)``. The lifespan starts and stops the room server
and the scheduled work (mail delivery, reminders)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.db import make_engine
from app.live import keep_checkpoints, make_room_server
from app.scheduler import make_scheduler
from app.services.access_bus import AccessBus
from app.settings import Settings, get_settings
from app.web import ROUTERS
from app.web.csrf import refuse_cross_site_changes
from app.web.errors import add_error_handlers
from app.web.headers import SecurityHeadersMiddleware
from app.web.nul_guard import RefuseNulMiddleware
from app.web.templating import make_templates

STATIC_DIR = Path(__file__).parent / "static"


def _tune_garbage_collector() -> None:
    """Fewer, cheaper collections while serving.

    Every sync message allocates short-lived objects; with the default thresholds Python runs
    frequent generation-2 collections over everything loaded at startup, which showed up as
    50–90 ms pauses at p99 with 200 open documents (docs/benchmarks.md). Freezing the startup
    objects takes them out of every collection; a higher first threshold makes young
    collections rarer.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The eenplan app for ``settings`` (default: from the environment), with its room server."""
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)
    bus = AccessBus()
    rooms = make_room_server(engine, settings, bus)
    keeper = keep_checkpoints(engine, rooms)
    scheduler = make_scheduler(engine, settings, bus)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await rooms.start()
        keeper.start()
        await scheduler.start()  # after the rooms: a birthday's access change reaches them
        _tune_garbage_collector()
        try:
            yield
        finally:
            await keeper.stop()
            await scheduler.stop()
            await rooms.stop()
            engine.dispose()

    app = FastAPI(
        title="eenplan", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.access_bus = bus
    app.state.rooms = rooms
    app.state.checkpoints = keeper
    app.state.templates = make_templates()

    app.add_middleware(RefuseNulMiddleware)
    app.middleware("http")(refuse_cross_site_changes)
    # Outermost of our middleware, so the CSRF check's refusals carry the headers too.
    app.add_middleware(SecurityHeadersMiddleware, settings=settings)
    add_error_handlers(app)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for router in ROUTERS:
        app.include_router(router)
    return app
