"""The app factory: ``create_app(settings)``. The lifespan starts and stops the room server."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.db import make_engine
from app.deps import NeedsTwoFactor, NotSignedIn
from app.headers import SecurityHeadersMiddleware, new_nonce, security_headers
from app.live import make_room_server
from app.routes import (
    access_log,
    account,
    admin,
    api,
    consent,
    editor,
    health,
    pages,
    shares,
    versions,
    ws,
)
from app.security import SAFE_METHODS, is_same_origin_request
from app.services.access_bus import AccessBus
from app.services.errors import ServiceError
from app.settings import Settings, get_settings
from app.templating import make_templates, render

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"

CSRF_MESSAGE = (
    "Deze actie is geweigerd omdat hij niet van een pagina van eenplan kwam. "
    "Ga terug naar eenplan en probeer het opnieuw."
)


TWO_FACTOR_FIRST = (
    "Stel eerst inloggen in twee stappen in. Dat doe je op /account/tweestapsverificatie."
)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


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
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)
    bus = AccessBus()
    rooms = make_room_server(engine, settings, bus)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await rooms.start()
        _tune_garbage_collector()
        try:
            yield
        finally:
            await rooms.stop()
            engine.dispose()

    app = FastAPI(
        title="eenplan", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.access_bus = bus
    app.state.rooms = rooms
    app.state.templates = make_templates()

    @app.middleware("http")
    async def refuse_cross_site_changes(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.method not in SAFE_METHODS and not is_same_origin_request(
            request.headers, host_url=str(request.base_url), public_url=settings.public_url
        ):
            if _wants_json(request):
                return JSONResponse({"detail": CSRF_MESSAGE}, status_code=403)
            return render(
                request,
                "pages/error.html",
                {"message": CSRF_MESSAGE, "user": None},
                status_code=403,
            )
        return await call_next(request)

    # Outermost of our middleware, so answers from the handlers above carry the headers too.
    app.add_middleware(SecurityHeadersMiddleware, settings=settings)

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _exc: NotSignedIn) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "Je bent niet ingelogd."}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(NeedsTwoFactor)
    async def needs_two_factor(request: Request, _exc: NeedsTwoFactor) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": TWO_FACTOR_FIRST}, status_code=403)
        return RedirectResponse("/account/tweestapsverificatie", status_code=303)

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> Response:
        if _wants_json(request):
            body: dict[str, object] = {"detail": exc.message}
            if exc.field_errors:
                body["fields"] = exc.field_errors
            return JSONResponse(body, status_code=exc.status_code)
        return render(
            request,
            "pages/error.html",
            {"message": exc.message, "user": None},
            status_code=exc.status_code,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = {
            404: "Deze pagina bestaat niet, of je hebt er geen toegang toe.",
            405: "Dit kan zo niet. Ga terug en probeer het opnieuw.",
        }.get(exc.status_code, "Er ging iets mis. Probeer het opnieuw.")
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=exc.status_code)
        return render(
            request,
            "pages/error.html",
            {"message": message, "user": None},
            status_code=exc.status_code,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        message = "Er ontbreekt iets of er klopt iets niet in wat je stuurde."
        if _wants_json(request):
            fields = {".".join(str(p) for p in e["loc"][1:]): e["msg"] for e in exc.errors()}
            return JSONResponse({"detail": message, "fields": fields}, status_code=422)
        return render(
            request, "pages/error.html", {"message": message, "user": None}, status_code=422
        )

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path, exc_info=exc)
        message = (
            "Er ging iets mis aan onze kant. Je gegevens zijn niet verloren. "
            "Probeer het zo opnieuw."
        )
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=500)
        # This answer comes from Starlette's outermost error layer, outside every middleware.
        nonce = getattr(request.state, "csp_nonce", None) or new_nonce()
        return HTMLResponse(
            f"<!doctype html><html lang='nl'><title>Fout</title><p>{message}</p></html>",
            status_code=500,
            headers=security_headers(request.url.path, nonce, settings=settings),
        )

    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.include_router(health.router)
    app.include_router(pages.router)
    app.include_router(account.router)
    app.include_router(admin.router)
    app.include_router(api.router)
    app.include_router(consent.router)
    app.include_router(shares.router)
    app.include_router(access_log.router)
    app.include_router(versions.router)
    app.include_router(editor.router)
    app.include_router(ws.router)
    return app
