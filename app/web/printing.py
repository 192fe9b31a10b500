"""The plan on paper for the zorgoverleg: the concept (live) or an adopted version, as HTML
for printing and as a PDF download. What the reader may read is decided in
``services/printing.py``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from app.models import today
from app.pdf import html_to_pdf
from app.services import audit, documents, printing, versions
from app.services.live_documents import current_states
from app.web.deps import CurrentUser, RoomsDep, RowInPath, SessionDep
from app.web.headers import content_disposition
from app.web.templating import render

router = APIRouter()


async def _print_model(
    session: SessionDep, rooms: RoomsDep, user: CurrentUser, case_id: str, number: int | None
) -> printing.PrintModel:
    if number is None:
        readable = await run_in_threadpool(
            documents.documents_for_user, session, user=user, case_id=case_id
        )
        states = await current_states(rooms, [d.document.id for d in readable])
        version = None
    else:
        version = await run_in_threadpool(
            versions.get_version, session, case_id=case_id, number=number
        )
        states = await run_in_threadpool(lambda: versions.frozen_states(session, version=version))
    return await run_in_threadpool(
        lambda: printing.build(
            session, user=user, case_id=case_id, states=states, version=version, with_progress=True
        )
    )


async def _print(
    request: Request,
    session: SessionDep,
    rooms: RoomsDep,
    user: CurrentUser,
    case_id: str,
    number: int | None,
    as_pdf: bool,
) -> Response:
    model = await _print_model(session, rooms, user, case_id, number)
    base = f"/cases/{case_id}" + (f"/versies/{number}" if number else "")
    context = {
        "model": model,
        "printed_on": today(),
        "for_pdf": as_pdf,
        "pdf_url": f"{base}/print.pdf",
    }
    detail = f"versie {number}" if number else "concept"
    await run_in_threadpool(
        lambda: audit.record(
            session,
            case_id=case_id,
            user=user,
            action=audit.Action.export if as_pdf else audit.Action.print,
            subject=detail,
        )
    )
    page = render(request, "pages/print.html", context)
    if not as_pdf:
        return page
    pdf = await run_in_threadpool(html_to_pdf, bytes(page.body).decode())
    filename = f"plan-{model.case.label.lower().replace(' ', '-')}-{detail.replace(' ', '-')}.pdf"
    # A download, not shown inline: Chrome's PDF viewer does not work under our CSP
    # (object-src 'none'), and the link says "Download als PDF".
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": content_disposition(filename)},
    )


@router.get("/cases/{case_id}/print", response_class=HTMLResponse)
async def print_concept(
    request: Request, session: SessionDep, rooms: RoomsDep, user: CurrentUser, case_id: str
) -> Response:
    return await _print(request, session, rooms, user, case_id, None, as_pdf=False)


@router.get("/cases/{case_id}/print.pdf")
async def print_concept_pdf(
    request: Request, session: SessionDep, rooms: RoomsDep, user: CurrentUser, case_id: str
) -> Response:
    return await _print(request, session, rooms, user, case_id, None, as_pdf=True)


@router.get("/cases/{case_id}/versies/{number}/print", response_class=HTMLResponse)
async def print_version(
    request: Request,
    session: SessionDep,
    rooms: RoomsDep,
    user: CurrentUser,
    case_id: str,
    number: RowInPath,
) -> Response:
    return await _print(request, session, rooms, user, case_id, number, as_pdf=False)


@router.get("/cases/{case_id}/versies/{number}/print.pdf")
async def print_version_pdf(
    request: Request,
    session: SessionDep,
    rooms: RoomsDep,
    user: CurrentUser,
    case_id: str,
    number: RowInPath,
) -> Response:
    return await _print(request, session, rooms, user, case_id, number, as_pdf=True)
