"""The start page: "Mijn plan" for the family and their network, "Mijn gezinnen" for
professionals."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.models import Role
from app.services import cases
from app.services.membership import FAMILY_AND_NETWORK_ROLES
from app.web.deps import CurrentUser, SessionDep
from app.web.templating import render

router = APIRouter()


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
