"""The access log page: "Wie heeft ons plan bekeken?" for the family, a filterable table for
the aanspreekpunt (what each reader sees is decided in ``services/access_log.py``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.services import access_log, audit
from app.web.deps import CurrentUser, SessionDep
from app.web.templating import render

router = APIRouter()


@router.get("/cases/{case_id}/logboek", response_class=HTMLResponse)
def log_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    case_id: str,
    actie: str = "",
    wie: str = "",
    van: str = "",
    tot: str = "",
) -> Response:
    filters = access_log.LogFilters(actie=actie, wie=wie, van=van, tot=tot)
    log = access_log.access_log(session, user=user, case_id=case_id, filters=filters)
    return render(
        request,
        "pages/log.html",
        {
            "user": user,
            "case": log.case,
            "me": log.viewer,
            "is_aanspreekpunt": log.is_aanspreekpunt,
            "lines": log.lines,
            "groups": log.groups,
            "chain": log.chain,
            "actions": audit.ACTION_LABELS,
            "actors": log.actors,
            "filters": filters,
            "errors": log.errors,
        },
    )
