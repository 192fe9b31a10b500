"""Vaststellen, the version history, one version with everyone's answer, compare and
restore, as pages and in the JSON API.

Routes that need the live state of documents get it from the room server (``RoomsDep``);
the rules live in ``services/versions.py``, ``compare.py`` and ``restore.py``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from app.models import Version, today
from app.services import cases, compare, membership, printing, restore, versions
from app.services.errors import InvalidInput
from app.services.live_documents import current_states
from app.settings import Settings
from app.web.deps import CurrentUser, RoomsDep, SessionDep, SettingsDep
from app.web.templating import render

router = APIRouter()


# --- vaststellen -----------------------------------------------------------------------------


async def _adopt(
    session: SessionDep,
    rooms: RoomsDep,
    settings: Settings,
    user: CurrentUser,
    case_id: str,
    form: dict[str, str],
) -> Version:
    doc_ids = await run_in_threadpool(
        lambda: versions.documents_to_freeze(session, actor=user, case_id=case_id)
    )
    states = await current_states(rooms, doc_ids)
    return await run_in_threadpool(
        lambda: versions.adopt(
            session, actor=user, case_id=case_id, states=states, settings=settings, **form
        )
    )


class VersionCreate(BaseModel):
    title: str
    meeting_date: str = ""
    decisions: str = ""
    next_evaluation_date: str = ""


def _version_public(session: SessionDep, version: Version) -> dict[str, Any]:
    return {
        "number": version.number,
        "title": version.title,
        "meeting_date": version.meeting_date.isoformat() if version.meeting_date else None,
        "decisions": version.decisions,
        "next_evaluation_date": (
            version.next_evaluation_date.isoformat() if version.next_evaluation_date else None
        ),
        "adopted_at": version.adopted_at.isoformat(),
        "adopted_by_id": version.adopted_by_id,
        "content_hash": version.content_hash,
        "previous_hash": version.previous_hash,
        "approvals": [
            {
                "participant_id": line.participant.id,
                "name": line.user.name,
                "role": str(line.participant.role),
                "decision": line.approval.decision if line.approval else None,
                "remark": line.approval.remark if line.approval else "",
            }
            for line in versions.approvals_of(session, version=version)
        ],
    }


@router.post("/api/cases/{case_id}/versions", status_code=201)
async def api_adopt(
    session: SessionDep,
    rooms: RoomsDep,
    settings: SettingsDep,
    user: CurrentUser,
    case_id: str,
    body: VersionCreate,
) -> dict[str, Any]:
    version = await _adopt(session, rooms, settings, user, case_id, body.model_dump())
    return await run_in_threadpool(_version_public, session, version)


@router.get("/api/cases/{case_id}/versions")
def api_versions(session: SessionDep, user: CurrentUser, case_id: str) -> dict[str, Any]:
    membership.active_participant(session, user=user, case_id=case_id)
    chain = versions.verify_chain(session, case_id=case_id)
    return {
        "chain_ok": chain.ok,
        "versions": [
            _version_public(session, v) for v in versions.list_versions(session, case_id=case_id)
        ],
    }


@router.get("/cases/{case_id}/versies", response_class=HTMLResponse)
def versions_page(
    request: Request, session: SessionDep, user: CurrentUser, case_id: str
) -> Response:
    return render(request, "pages/versions.html", _versions_context(session, user, case_id))


def _versions_context(session: SessionDep, user: CurrentUser, case_id: str) -> dict[str, Any]:
    mine = cases.case_for(session, user=user, case_id=case_id)
    history = versions.list_versions(session, case_id=case_id)
    return {
        "user": user,
        "case": mine.case,
        "mine": mine,
        "versions": history,
        "approvals": {v.number: versions.approvals_of(session, version=v) for v in history},
        "adopters": versions.adopter_names(session, history),
        "chain": versions.verify_chain(session, case_id=case_id),
        "can_adopt": versions.can_adopt(mine.participant),
        "form": {"meeting_date": today().isoformat()},
        "errors": {},
    }


@router.post("/cases/{case_id}/versies", response_class=HTMLResponse)
async def adopt_version(
    request: Request,
    session: SessionDep,
    rooms: RoomsDep,
    settings: SettingsDep,
    user: CurrentUser,
    case_id: str,
    title: Annotated[str, Form()] = "",
    meeting_date: Annotated[str, Form()] = "",
    decisions: Annotated[str, Form()] = "",
    next_evaluation_date: Annotated[str, Form()] = "",
) -> Response:
    form = {
        "title": title,
        "meeting_date": meeting_date,
        "decisions": decisions,
        "next_evaluation_date": next_evaluation_date,
    }
    try:
        version = await _adopt(session, rooms, settings, user, case_id, form)
    except InvalidInput as exc:
        context = await run_in_threadpool(_versions_context, session, user, case_id)
        context.update(form=form, errors=exc.field_errors, error=exc.message)
        return render(request, "pages/versions.html", context, status_code=422)
    return RedirectResponse(f"/cases/{case_id}/versies/{version.number}?nieuw=1", status_code=303)


# --- one version ------------------------------------------------------------------------------


def _version_context(
    session: SessionDep, user: CurrentUser, case_id: str, number: int
) -> dict[str, Any]:
    version = versions.get_version(session, case_id=case_id, number=number)
    model = printing.build(
        session,
        user=user,
        case_id=case_id,
        states=versions.frozen_states(session, version=version),
        version=version,
    )
    mine = cases.case_for(session, user=user, case_id=case_id)
    mine_answer = next(
        (line for line in model.approvals if line.participant.id == mine.participant.id), None
    )
    return {
        "user": user,
        "case": mine.case,
        "model": model,
        "version": version,
        "mine": mine,
        "my_answer": mine_answer,
        "decisions": versions.DECISION_LABELS,
        "can_restore": restore.may_restore(mine.participant),
        "form": {},
        "errors": {},
    }


@router.get("/cases/{case_id}/versies/vergelijk", response_class=HTMLResponse)
async def compare_page(
    request: Request,
    session: SessionDep,
    rooms: RoomsDep,
    user: CurrentUser,
    case_id: str,
    van: int = 0,
    naar: str = "nu",
) -> Response:
    wanted = await run_in_threadpool(
        lambda: compare.comparison(session, user=user, case_id=case_id, van=van, naar=naar)
    )
    live = await current_states(rooms, wanted.live_document_ids)
    sections = await run_in_threadpool(lambda: compare.changes(session, wanted, live_states=live))
    return render(
        request,
        "pages/compare.html",
        {
            "user": user,
            "case": wanted.case,
            "versions": wanted.history,
            "from_version": wanted.before,
            "to_version": wanted.after,
            "naar": naar,
            "sections": sections,
        },
    )


@router.get("/cases/{case_id}/versies/{number}", response_class=HTMLResponse)
def version_page(
    request: Request, session: SessionDep, user: CurrentUser, case_id: str, number: int
) -> Response:
    return render(request, "pages/version.html", _version_context(session, user, case_id, number))


@router.post("/cases/{case_id}/versies/{number}/akkoord", response_class=HTMLResponse)
def approve(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    case_id: str,
    number: int,
    decision: Annotated[str, Form()] = "",
    remark: Annotated[str, Form()] = "",
) -> Response:
    try:
        versions.record_approval(
            session, actor=user, case_id=case_id, number=number, decision=decision, remark=remark
        )
    except InvalidInput as exc:
        context = _version_context(session, user, case_id, number)
        context.update(
            form={"decision": decision, "remark": remark},
            errors=exc.field_errors,
            error=exc.message,
        )
        return render(request, "pages/version.html", context, status_code=422)
    return RedirectResponse(f"/cases/{case_id}/versies/{number}?antwoord=1", status_code=303)


@router.post("/cases/{case_id}/versies/{number}/herstellen")
async def restore_version(
    session: SessionDep, rooms: RoomsDep, user: CurrentUser, case_id: str, number: int
) -> Response:
    """Write the content of an earlier version as a new change; live editors see it arrive."""
    restored = await restore.restore_version(
        session, actor=user, case_id=case_id, number=number, live=rooms
    )
    return RedirectResponse(
        f"/cases/{case_id}/versies/{number}?hersteld={restored}", status_code=303
    )
