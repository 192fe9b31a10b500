"""Jinja2 templates: one template serves the full page and, on htmx requests, its fragment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.crdt.schema import options, section_schema, section_title
from app.dutch import dutch_date, dutch_time, enumeration
from app.models import Role
from app.services.display import display_value, item_title, page_label, short_code
from app.services.membership import ROLE_LABELS
from app.web.deps import templates_of

TEMPLATES_DIR = Path(__file__).parent.parent / "templates"


def make_templates() -> Jinja2Templates:
    # Autoescape every template, whatever its file name ends in: Starlette's default escapes
    # only .html/.xml, and a .css template once carried a case name straight into <style>.
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True)
    templates = Jinja2Templates(env=env)
    templates.env.globals["ROLE_LABELS"] = ROLE_LABELS
    templates.env.globals["Role"] = Role
    templates.env.filters["datum"] = dutch_date
    templates.env.filters["tijd"] = dutch_time
    templates.env.filters["opsomming"] = enumeration
    templates.env.globals["display_value"] = display_value
    templates.env.globals["item_title"] = item_title
    templates.env.globals["page_label"] = page_label
    templates.env.filters["korte_code"] = short_code
    templates.env.globals["schema_options"] = options
    templates.env.globals["section_title"] = section_title
    templates.env.globals["section_schema"] = section_schema
    return templates


def is_htmx(request: Request) -> bool:
    """An htmx request that wants a fragment. Going Back to an address htmx pushed asks for
    the whole page (``HX-History-Restore-Request``): htmx keeps no copy of pages (base.html,
    ``historyCacheSize: 0``; a page holds a family's plan), so the server renders it, with
    the search and filter fields as that address says."""
    if request.headers.get("hx-history-restore-request") == "true":
        return False
    return request.headers.get("hx-request") == "true"


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    fragment: str | None = None,
) -> HTMLResponse:
    """Render a page; on an htmx request render only ``fragment`` when given."""
    templates = templates_of(request)
    ctx = {"request": request, **(context or {})}
    if fragment is not None and is_htmx(request):
        response = templates.TemplateResponse(request, fragment, ctx, status_code=status_code)
    else:
        response = templates.TemplateResponse(request, template, ctx, status_code=status_code)
    response.headers["Vary"] = "HX-Request"
    return response
