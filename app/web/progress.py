"""Progress across evaluations: the page ``/cases/{case_id}/voortgang`` and the JSON of
``GET /api/cases/{case_id}/progress``. The rules live in ``services/progress.py``; the live
state of the documents ("now") comes from the room server."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from app.models import Role
from app.services import audit, progress
from app.services.live_documents import current_states
from app.web.deps import CurrentUser, RoomsDep, SessionDep
from app.web.templating import render

router = APIRouter()


async def _progress(
    session: SessionDep, rooms: RoomsDep, user: CurrentUser, case_id: str
) -> progress.Progress:
    doc_ids = await run_in_threadpool(
        lambda: progress.readable_document_ids(session, user=user, case_id=case_id)
    )
    states = await current_states(rooms, doc_ids)
    return await run_in_threadpool(
        lambda: progress.build(session, user=user, case_id=case_id, now_states=states)
    )


@router.get("/cases/{case_id}/voortgang", response_class=HTMLResponse)
async def progress_page(
    request: Request, session: SessionDep, rooms: RoomsDep, user: CurrentUser, case_id: str
) -> Response:
    model = await _progress(session, rooms, user, case_id)
    await run_in_threadpool(
        lambda: audit.record(
            session,
            case_id=case_id,
            user=user,
            action=audit.Action.case_viewed,
            subject="voortgang",
        )
    )
    return render(
        request,
        "pages/progress.html",
        {
            "user": user,
            "case": model.case,
            "progress": model,
            "is_aanspreekpunt": model.reader_place.role == Role.aanspreekpunt,
            "youth": model.reader_place.role == Role.jongere,
        },
    )


def _version(moment: progress.Moment) -> int | None:
    return moment.number


def _scores(rows: list[progress.ScoreRow], people: list[progress.Person]) -> list[dict[str, Any]]:
    """Everyone's own score per evaluation; ``score`` None: asked, but no answer (yet)."""
    return [
        {
            "version": _version(row.moment),
            "participant_id": person.participant_id,
            "name": person.name,
            "score": cell.score,
        }
        for row in rows
        for person, cell in zip(people, row.cells, strict=True)
        if cell.score is not None or cell.asked
    ]


def progress_public(model: progress.Progress) -> dict[str, Any]:
    """The contract's shape (shared/design.md), extended: per domain its label, the norm
    text and everyone's scores; per goal its domain and everyone's scores; the domains not
    ready; the open evaluation round."""
    domains = [
        {
            "domain": d.domain,
            "label": d.label,
            "norm": d.latest.norm.text,
            "norm_met": d.norm_met,
            "points": [
                {
                    "version": _version(p.moment),
                    "date": p.moment.when.isoformat(),
                    "schaal_jongere": p.schaal_jongere.value,
                    "zelfredzaamheid": p.zelfredzaamheid.value,
                    "norm_met": p.norm.met,
                }
                for p in d.points
            ],
            "scores": _scores(d.rows, model.people),
        }
        for d in model.domains or []
    ]
    goals = [
        {
            "id": g.id,
            "title": g.title,
            "domain": g.domain,
            "statuses": [
                {"version": _version(row.moment), "status": row.status} for row in g.history
            ],
            "scores": _scores([r.scores for r in g.history if r.scores], model.people),
        }
        for g in model.goals or []
    ]
    readiness = model.readiness
    round_open = model.open_round
    return {
        "domains": domains,
        "goals": goals,
        "ready_to_let_go": readiness.ready if readiness else None,
        "not_ready_domains": [n.domain for n in readiness.not_met] if readiness else None,
        "missing": [
            {
                "version": _version(m.moment),
                "domain": m.domain,
                "field": m.field,
                "reason": m.reason,
            }
            for m in model.missing
        ],
        "evaluation_round": (
            {
                "opened_at": round_open.opened_at.isoformat(),
                "meeting_date": (
                    round_open.meeting_date.isoformat() if round_open.meeting_date else None
                ),
            }
            if round_open
            else None
        ),
    }


@router.get("/api/cases/{case_id}/progress")
async def api_progress(
    session: SessionDep, rooms: RoomsDep, user: CurrentUser, case_id: str
) -> dict[str, Any]:
    """The Big Five and the goals at every adopted version and now (``version`` null)."""
    return progress_public(await _progress(session, rooms, user, case_id))
