"""The start page: "Mijn plan" for the family and their network, "Mijn gezinnen" for
professionals; and the site's icon, which browsers ask for at ``/favicon.ico``."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from app.models import Role
from app.services import cases
from app.services.membership import FAMILY_AND_NETWORK_ROLES
from app.web.deps import CurrentUser, SessionDep
from app.web.templating import render

router = APIRouter()

FAVICON = Path(__file__).parent.parent / "static" / "favicon.ico"


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> FileResponse:
    """The icon every browser asks for (pages also name ``/static/favicon.svg``)."""
    return FileResponse(
        FAVICON, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"}
    )


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    mine = cases.cases_of(session, user=user)
    as_family = [c for c in mine if c.participant.role in FAMILY_AND_NETWORK_ROLES]
    as_professional = [c for c in mine if c.participant.role not in FAMILY_AND_NETWORK_ROLES]
    return render(
        request,
        "pages/home.html",
        {
            "user": user,
            "nav": "home",
            "as_family": as_family,
            "as_professional": as_professional,
            "is_youth": any(c.participant.role == Role.jongere for c in mine),
        },
    )
