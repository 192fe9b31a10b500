"""The evaluation round before a zorgoverleg: the aanspreekpunt opens it, everyone gives their
own scores on ``/cases/{case_id}/evaluatie`` (or through the JSON API beside it). Rules in
``services/evaluations.py``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from app.models import EvaluationRound, Role
from app.services import cases, evaluations
from app.services.errors import Conflict, Forbidden, InvalidInput
from app.services.membership import participant_names
from app.web.deps import CurrentUser, SessionDep, SettingsDep
from app.web.templating import render

router = APIRouter()


def _context(session: SessionDep, user: CurrentUser, case_id: str) -> dict[str, Any]:
    mine = cases.case_for(session, user=user, case_id=case_id)
    evaluation = evaluations.open_round_of(session, case_id=case_id)
    asked = evaluations.is_asked(session, mine.participant)
    questions = evaluations.current_questions(session, case_id=case_id) if asked else []
    is_aanspreekpunt = mine.participant.role == Role.aanspreekpunt
    everyone = []
    if evaluation is not None and is_aanspreekpunt:
        everyone = evaluations.everyone_in(session, evaluation=evaluation)
    given: dict[str, int] = {}
    if evaluation is not None and asked:
        given = evaluations.my_answers(
            session,
            evaluation=evaluation,
            participant_id=mine.participant.id,  # type: ignore[arg-type]
        )
    return {
        "user": user,
        "case": mine.case,
        "mine": mine,
        "round": evaluation,
        "asked": asked,
        "goals": [q for q in questions if q.subject == evaluations.GOAL],
        "domains": [q for q in questions if q.subject == evaluations.DOMAIN],
        "form": {name: str(score) for name, score in given.items()},
        "errors": {},
        "is_aanspreekpunt": is_aanspreekpunt,
        "everyone": everyone,
        "names": participant_names(session, case_id=case_id),
        "open_form": {"meeting_date": ""},
        "open_errors": {},
    }


@router.get("/cases/{case_id}/evaluatie", response_class=HTMLResponse)
def evaluation_page(
    request: Request, session: SessionDep, user: CurrentUser, case_id: str
) -> Response:
    return render(request, "pages/evaluation.html", _context(session, user, case_id))


@router.post("/cases/{case_id}/evaluatie", response_class=HTMLResponse)
async def give_scores(
    request: Request, session: SessionDep, user: CurrentUser, case_id: str
) -> Response:
    """Store the person's own scores; on a mistake, show the page again with what they typed."""
    form = await request.form()
    typed = {
        key: value
        for key, value in form.items()
        if isinstance(value, str) and key.startswith(("doel.", "domein."))
    }
    try:
        evaluations.record_answers(session, actor=user, case_id=case_id, form=typed)
    except (InvalidInput, Conflict, Forbidden) as exc:
        context = _context(session, user, case_id)
        context.update(form=typed, errors=exc.field_errors, error=exc.message)
        return render(request, "pages/evaluation.html", context, status_code=exc.status_code)
    return RedirectResponse(f"/cases/{case_id}/evaluatie?opgeslagen=1", status_code=303)


@router.post("/cases/{case_id}/evaluatie/starten", response_class=HTMLResponse)
def open_round(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    case_id: str,
    meeting_date: Annotated[str, Form()] = "",
) -> Response:
    try:
        evaluations.open_round(
            session, actor=user, case_id=case_id, settings=settings, meeting_date=meeting_date
        )
    except (InvalidInput, Conflict) as exc:
        context = _context(session, user, case_id)
        context.update(
            open_form={"meeting_date": meeting_date},
            open_errors=exc.field_errors,
            error=exc.message,
        )
        return render(request, "pages/evaluation.html", context, status_code=exc.status_code)
    return RedirectResponse(f"/cases/{case_id}/evaluatie?gestart=1", status_code=303)


# --- JSON API --------------------------------------------------------------------------------


def _round_public(evaluation: EvaluationRound) -> dict[str, Any]:
    return {
        "opened_at": evaluation.opened_at.isoformat(),
        "meeting_date": evaluation.meeting_date.isoformat() if evaluation.meeting_date else None,
    }


class RoundOpen(BaseModel):
    meeting_date: str = ""


@router.post("/api/cases/{case_id}/evaluation-round", status_code=201)
def api_open_round(
    session: SessionDep, settings: SettingsDep, user: CurrentUser, case_id: str, body: RoundOpen
) -> dict[str, Any]:
    """Open an evaluation round (the aanspreekpunt only); 409 while one is open."""
    evaluation = evaluations.open_round(
        session, actor=user, case_id=case_id, settings=settings, meeting_date=body.meeting_date
    )
    return _round_public(evaluation)


class ScoresGiven(BaseModel):
    # "doel.<goal id>" or "domein.<domain>" → a score 0–10, or null to take one back
    scores: dict[str, int | None]


@router.post("/api/cases/{case_id}/evaluation-round/scores")
def api_give_scores(
    session: SessionDep, user: CurrentUser, case_id: str, body: ScoresGiven
) -> dict[str, Any]:
    """The signed-in person's own scores in the open round; 422 with a message per field
    (nothing stored) for a score outside 0–10, 409 when no round is open."""
    typed = {key: "" if value is None else str(value) for key, value in body.scores.items()}
    changed = evaluations.record_answers(session, actor=user, case_id=case_id, form=typed)
    return {"changed": changed}
