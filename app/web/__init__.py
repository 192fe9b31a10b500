"""The web layer: one module of routes per feature (the tests in ``tests/web`` are split the
same way), thin: check who asks, call a service, render or answer JSON.

Besides the features: ``deps.py`` (Annotated dependencies; the only reader of ``app.state``),
``errors.py`` (every error as JSON or a Dutch page), ``csrf.py`` and ``headers.py``
(middleware), ``templating.py`` (Jinja2, full pages and htmx fragments).
"""

from __future__ import annotations

from fastapi import APIRouter

from app.web import (
    access_log,
    account,
    admin,
    api,
    auth,
    cases,
    changes,
    consent,
    documents,
    evaluations,
    health,
    home,
    invitations,
    participants,
    password_reset,
    printing,
    progress,
    shares,
    stories,
    versions,
    ws,
)

# In this order: within a module, a fixed path comes before a path with a parameter that
# would also match it.
ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    auth.router,
    password_reset.router,
    home.router,
    cases.router,
    participants.router,
    invitations.router,
    account.router,
    admin.router,
    api.router,
    changes.router,
    consent.router,
    shares.router,
    access_log.router,
    versions.router,
    evaluations.router,
    progress.router,
    printing.router,
    stories.router,
    documents.router,
    ws.router,
)
