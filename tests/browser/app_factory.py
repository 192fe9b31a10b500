"""The app as the browser tests serve it: ``app.main.create_app`` plus the editor page while
app/main.py does not include it yet."""

from __future__ import annotations

from fastapi import FastAPI

from app.main import create_app as create_main_app
from app.routes import editor


def create_app() -> FastAPI:
    app = create_main_app()
    paths = {getattr(route, "path", None) for route in app.routes}
    if "/cases/{case_id}/docs/{doc_id}" not in paths:
        app.include_router(editor.router)
    return app
