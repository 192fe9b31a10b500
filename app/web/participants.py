"""The participants page of a case: who takes part, role changes and removal (the
aanspreekpunt only). Invitations are sent from this page too (``invitations.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.models import Role, User
from app.services import cases, membership, participants
from app.services.errors import InvalidInput
from app.web import confirm
from app.web.deps import AccessBusDep, CurrentUser, RowInPath, SessionDep
from app.web.templating import render

router = APIRouter()


def page_context(session: Session, user: User, case_id: str) -> dict[str, object]:
    """What the participants page shows (only to the aanspreekpunt)."""
    membership.require_aanspreekpunt(session, user=user, case_id=case_id)
    mine = cases.case_for(session, user=user, case_id=case_id)
    return {
        "user": user,
        "case": mine.case,
        "me": mine.participant,
        "members": membership.active_members(session, case_id=case_id),
        "invitations": participants.pending_invitations(session, case_id=case_id),
        "roles": list(Role),
        "form": {},
        "errors": {},
    }


@router.get("/cases/{case_id}/deelnemers", response_class=HTMLResponse)
def participants_page(
    request: Request, session: SessionDep, user: CurrentUser, case_id: str, nieuw: int = 0
) -> Response:
    context = page_context(session, user, case_id)
    context["just_created"] = bool(nieuw)
    return render(request, "pages/participants.html", context)


@router.post("/cases/{case_id}/deelnemers/{participant_id}", response_class=HTMLResponse)
def change_participant(
    request: Request,
    session: SessionDep,
    bus: AccessBusDep,
    user: CurrentUser,
    case_id: str,
    participant_id: RowInPath,
    role: Annotated[str, Form()] = "",
    gezag: Annotated[bool, Form()] = False,
    safety_closed: Annotated[bool, Form()] = False,
) -> Response:
    try:
        participants.change_participant(
            session,
            actor=user,
            case_id=case_id,
            participant_id=participant_id,
            role=role,
            gezag=gezag,
            safety_closed=safety_closed,
            bus=bus,
        )
    except InvalidInput as exc:
        context = page_context(session, user, case_id)
        detail = exc.field_errors.get("role", "")
        message = exc.message if exc.message.startswith("Een casus") else ""
        context.update(change_error=f"{message} {detail}".strip(), change_for=participant_id)
        return render(request, "pages/participants.html", context, status_code=422)
    return RedirectResponse(
        f"/cases/{case_id}/deelnemers?gewijzigd={participant_id}", status_code=303
    )


@router.post(
    "/cases/{case_id}/deelnemers/{participant_id}/verwijderen", response_class=HTMLResponse
)
def remove_participant(
    request: Request,
    session: SessionDep,
    bus: AccessBusDep,
    user: CurrentUser,
    case_id: str,
    participant_id: RowInPath,
    bevestigd: Annotated[str, Form()] = "",
) -> Response:
    if not confirm.is_confirmed(bevestigd):
        person = participants.member_to_remove(
            session, actor=user, case_id=case_id, participant_id=participant_id
        )
        return confirm.ask(
            request,
            user=user,
            confirmation=confirm.Confirmation(
                title=f"{person.name} verwijderen?",
                question=f"Weet je zeker dat je {person.name} uit dit gezin wilt verwijderen?",
                consequence=(
                    "Diegene kan het plan van dit gezin dan meteen niet meer openen, ook niet als "
                    "het nu open staat. Wat diegene schreef, blijft staan."
                ),
                button="Ja, verwijderen",
                action=f"/cases/{case_id}/deelnemers/{participant_id}/verwijderen",
                back=f"/cases/{case_id}/deelnemers",
            ),
        )
    try:
        participants.remove_participant(
            session, actor=user, case_id=case_id, participant_id=participant_id, bus=bus
        )
    except InvalidInput as exc:
        context = page_context(session, user, case_id)
        context.update(change_error=exc.message, change_for=participant_id)
        return render(request, "pages/participants.html", context, status_code=422)
    return RedirectResponse(f"/cases/{case_id}/deelnemers?verwijderd=1", status_code=303)
