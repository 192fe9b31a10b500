"""The start page: "Mijn plan" for the family and their network, "Mijn gezinnen" (the
worklist) for professionals, and the worklist in the JSON API; and the site's icon, which
browsers ask for at ``/favicon.ico``."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel

from app.models import Role
from app.services import cases, evaluations, worklist
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
def home(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    q: str = "",
    toon: str = "",
    sorteer: str = "urgent",
) -> Response:
    mine = cases.cases_of(session, user=user)
    as_family = [c for c in mine if c.participant.role in FAMILY_AND_NETWORK_ROLES]
    as_professional = [c for c in mine if c.participant.role not in FAMILY_AND_NETWORK_ROLES]
    show = toon if toon in worklist.FILTER_LABELS else ""
    sort = sorteer if sorteer in worklist.SORT_LABELS else worklist.Sort.urgent
    families = (
        worklist.worklist(session, user=user, query=q[:120], show=show, sort=sort)
        if as_professional
        else []
    )
    return render(
        request,
        "pages/home.html",
        {
            "user": user,
            "nav": "home",
            "as_family": as_family,
            "as_professional": as_professional,
            "is_youth": any(c.participant.role == Role.jongere for c in mine),
            "families": families,
            "score_requests": {
                status.case.id: status for status in evaluations.open_requests_for(session, user)
            }
            if as_family
            else {},
            "query": q[:120],
            "show": show,
            "sort": sort,
            "filter_labels": worklist.FILTER_LABELS,
            "sort_labels": worklist.SORT_LABELS,
        },
        fragment="_partials/worklist.html",
    )


class WorkItemPublic(BaseModel):
    case_id: str
    label: str
    kind: str  # evaluatie, akkoord, toestemming, leeftijd, link, activiteit
    due: str | None  # YYYY-MM-DD
    detail: str
    overdue: bool


@router.get("/api/worklist", response_model=list[WorkItemPublic])
def api_worklist(
    session: SessionDep, user: CurrentUser, q: str = "", kind: str = ""
) -> list[WorkItemPublic]:
    """What waits in the families of the signed-in professional, soonest first (403 for
    anyone else)."""
    rows = worklist.worklist(session, user=user, query=q[:120])
    return [
        WorkItemPublic(
            case_id=item.case_id,
            label=item.label,
            kind=str(item.kind),
            due=item.due.isoformat() if item.due else None,
            detail=item.detail,
            overdue=item.overdue,
        )
        for item in worklist.items_of(rows)
        if not kind or item.kind == kind
    ]
