"""Family cases: adding one, and its overview page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.models import Role
from app.services import (
    access_log,
    audit,
    cases,
    documents,
    evaluations,
    last_visit,
    membership,
    participants,
    progress,
    versions,
)
from app.services.errors import Forbidden, InvalidInput
from app.web.deps import CurrentUser, SessionDep
from app.web.templating import render

router = APIRouter()


@router.get("/cases/new", response_class=HTMLResponse)
def new_case_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    if not cases.may_create_cases(session, user=user):
        raise Forbidden(
            "Alleen hulpverleners kunnen een gezin toevoegen. Vraag je vaste aanspreekpunt."
        )
    return render(request, "pages/case_new.html", {"user": user, "form": {}, "errors": {}})


@router.post("/cases", response_class=HTMLResponse)
def create_case(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    label: Annotated[str, Form()] = "",
    youth_birth_date: Annotated[str, Form()] = "",
    organisation: Annotated[str, Form()] = "",
) -> Response:
    form = {"label": label, "youth_birth_date": youth_birth_date, "organisation": organisation}
    try:
        case = cases.create_case(
            session,
            actor=user,
            label=label,
            youth_birth_date=youth_birth_date,
            organisation=organisation,
        )
    except InvalidInput as exc:
        return render(
            request,
            "pages/case_new.html",
            {"user": user, "form": form, "errors": exc.field_errors, "error": exc.message},
            status_code=422,
        )
    return RedirectResponse(f"/cases/{case.id}/deelnemers?nieuw=1", status_code=303)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_overview(
    request: Request, session: SessionDep, user: CurrentUser, case_id: str
) -> Response:
    mine = cases.case_for(session, user=user, case_id=case_id)
    audit.record(session, case_id=case_id, user=user, action=audit.Action.case_viewed)
    members = membership.active_members(session, case_id=case_id)
    docs = documents.documents_for_user(session, user=user, case_id=case_id)
    names = membership.names_of(members)
    shared = [d for d in docs if d.document.section != "verhaal"]
    stories = [d for d in docs if d.document.section == "verhaal"]
    is_aanspreekpunt = mine.participant.role == Role.aanspreekpunt
    invitations = (
        participants.pending_invitations(session, case_id=case_id) if is_aanspreekpunt else []
    )
    evaluation = evaluations.open_round_of(session, case_id=case_id)
    my_round = (
        evaluations.status_for(session, participant=mine.participant, evaluation=evaluation)
        if evaluation
        else None
    )
    news = last_visit.news_for_user(session, user=user, case_id=case_id)
    youth = next((m for m in members if m.participant.role == Role.jongere), None)
    return render(
        request,
        "pages/case.html",
        {
            "user": user,
            "mine": mine,
            "case": mine.case,
            "members": members,
            "shared_docs": shared,
            "stories": stories,
            "names": names,
            "reads_log": access_log.may_read(mine.participant),
            "is_aanspreekpunt": is_aanspreekpunt,
            "invitations": invitations,
            "latest_version": versions.latest_version(session, case_id=case_id),
            "evaluation": evaluation,
            "readiness": progress.readiness_signal(session, user=user, case_id=case_id),
            "my_round": my_round,
            "questions": (
                evaluations.current_questions(session, case_id=case_id) if my_round else []
            ),
            "my_scores": (
                evaluations.my_answers(
                    session,
                    evaluation=evaluation,
                    participant_id=mine.participant.id,  # type: ignore[arg-type]
                )
                if evaluation and my_round
                else {}
            ),
            "news": [n for n in news if n.fields],
            "youth_name": youth.user.name if youth else "De jongere",
            "news_by_doc": {n.access.document.id: n for n in news},
        },
    )
