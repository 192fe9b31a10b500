"""Consent: each participant gives or withdraws their own, on a page and in the JSON API.

Routes stay thin: they read the form or JSON, call a service and render.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlmodel import Session

from app.models import Consent, Role, User
from app.services import cases, consent, consent_history
from app.services.errors import Conflict, Forbidden, InvalidInput
from app.services.membership import active_members, participant_names
from app.web import confirm
from app.web.deps import AccessBusDep, CurrentUser, SessionDep
from app.web.templating import render

router = APIRouter()


# --- shapes of the API ---------------------------------------------------------------------


class ConsentIn(BaseModel):
    audience: str
    decision: str
    months: int = consent.DEFAULT_MONTHS


def _consent_json(
    record: Consent, names: dict[int, str], *, with_motivation: bool
) -> dict[str, Any]:
    return {
        "id": record.id,
        "kind": record.kind,
        "audience": record.audience,
        "version": record.version,
        "previous_id": record.previous_id,
        "granted_by": {
            "participant_id": record.granted_by_participant_id,
            "name": names.get(record.granted_by_participant_id, ""),
            "role": record.grantor_role,
            "gezag": record.grantor_gezag,
        },
        "age_band": record.age_band,
        "passed_over": (
            {
                "participant_id": record.passed_over_participant_id,
                "name": names.get(record.passed_over_participant_id, ""),
            }
            if record.passed_over_participant_id is not None
            else None
        ),
        "scope": record.scope,
        "purpose": record.purpose,
        "valid_until": record.valid_until.isoformat() if record.valid_until else None,
        "ground": record.ground,
        "motivation": record.motivation if with_motivation else None,
        "status": record.status,
        "created_at": record.created_at.isoformat(),
        "withdrawn_at": record.withdrawn_at.isoformat() if record.withdrawn_at else None,
    }


def _state_json(state: consent.ConsentState) -> dict[str, Any]:
    return {
        "audience": state.audience,
        "on": state.on.isoformat(),
        "age_band": str(state.age_band),
        "complete": state.complete,
        "still_needed": state.still_needed,
        "ask_again": state.ask_again,
        "message": state.missing_message(),
        "valid_until": state.valid_until.isoformat() if state.valid_until else None,
        "requirements": [
            {"name": r.name, "role": r.role, "participant_id": r.participant_id, "status": r.status}
            for r in state.requirements
        ],
        "legal_grounds": [r.id for r in state.legal_grounds],
    }


# --- consent API ---------------------------------------------------------------------------


@router.get("/api/cases/{case_id}/consents")
def list_consents(session: SessionDep, user: CurrentUser, case_id: str) -> dict[str, Any]:
    """Current state per audience and the full version history of the case's consent records."""
    mine = cases.case_for(session, user=user, case_id=case_id)
    names = participant_names(session, case_id=case_id)
    with_motivation = consent.may_read_motivations(mine.participant)
    states = {a: consent.consent_state(session, case_id, a) for a in consent.AUDIENCES}
    any_state = next(iter(states.values()))
    return {
        "case_id": case_id,
        "on": any_state.on.isoformat(),
        "age_band": str(any_state.age_band),
        "state": {a: _state_json(s) for a, s in states.items()},
        "history": [
            _consent_json(r, names, with_motivation=with_motivation)
            for r in consent.history(session, case_id=case_id)
        ],
    }


@router.post("/api/cases/{case_id}/consents", status_code=201)
def decide_consent(
    session: SessionDep, bus: AccessBusDep, user: CurrentUser, case_id: str, body: ConsentIn
) -> JSONResponse:
    """Give or withdraw your own consent; the answer is the new version."""
    record = consent.decide(
        session,
        user=user,
        case_id=case_id,
        audience=body.audience,
        decision=body.decision,
        months=body.months,
        bus=bus,
    )
    names = participant_names(session, case_id=case_id)
    payload = _consent_json(record, names, with_motivation=True)
    payload["state"] = _state_json(consent.consent_state(session, case_id, body.audience))
    return JSONResponse(payload, status_code=201)


# --- consent page --------------------------------------------------------------------------


def _consent_context(session: Session, user: User, case_id: str, **extra: Any) -> dict[str, Any]:
    mine = cases.case_for(session, user=user, case_id=case_id)
    participant = mine.participant
    blocks: list[dict[str, Any]] = []
    for code, info in consent.AUDIENCES.items():
        state = consent.consent_state(session, case_id, code)
        blocks.append(
            {
                "info": info,
                "state": state,
                "mine": consent.my_decision(session, participant=participant, audience=code),
                "mine_counts": next(
                    (
                        r.status == "given"
                        for r in state.requirements
                        if r.participant_id == participant.id
                    ),
                    False,
                ),
                "not_allowed": consent.can_consent(participant, state.age_band),
            }
        )
    is_aanspreekpunt = participant.role == Role.aanspreekpunt
    parents = [
        m
        for m in active_members(session, case_id=case_id)
        if m.participant.role == Role.ouder and m.participant.gezag
    ]
    youth = next(
        (m for m in active_members(session, case_id=case_id) if m.participant.role == Role.jongere),
        None,
    )
    context: dict[str, Any] = {
        "user": user,
        "case": mine.case,
        "me": participant,
        "is_youth": participant.role == Role.jongere,
        "youth_name": youth.user.name if youth else "De jongere",
        "age": mine.youth_age,
        "blocks": blocks,
        "history": consent_history.history_lines(session, case_id=case_id, viewer=participant),
        "is_aanspreekpunt": is_aanspreekpunt,
        "parents": parents,
        "band": blocks[0]["state"].age_band,
        "periods": consent.PERIOD_MONTHS,
        "status_text": consent.STATUS_TEXT,
        "form": {},
        "errors": {},
    }
    context.update(extra)
    return context


@router.get("/cases/{case_id}/toestemming", response_class=HTMLResponse)
def consent_page(
    request: Request, session: SessionDep, user: CurrentUser, case_id: str
) -> Response:
    return render(request, "pages/consent.html", _consent_context(session, user, case_id))


@router.post("/cases/{case_id}/toestemming", response_class=HTMLResponse)
def consent_form(
    request: Request,
    session: SessionDep,
    bus: AccessBusDep,
    user: CurrentUser,
    case_id: str,
    audience: Annotated[str, Form()] = "",
    decision: Annotated[str, Form()] = "",
    months: Annotated[int, Form()] = consent.DEFAULT_MONTHS,
    bevestigd: Annotated[str, Form()] = "",
) -> Response:
    if decision == consent.WITHDRAWN and not confirm.is_confirmed(bevestigd):
        cases.case_for(session, user=user, case_id=case_id)  # 404 for anyone else
        info = consent.audience_or_error(audience)
        return confirm.ask(
            request,
            user=user,
            confirmation=confirm.Confirmation(
                title="Toestemming intrekken?",
                question=(
                    f"Weet je zeker dat je je toestemming om te delen met {info.name} "
                    "wilt intrekken?"
                ),
                consequence=info.on_withdrawal,
                button="Ja, intrekken",
                action=f"/cases/{case_id}/toestemming",
                back=f"/cases/{case_id}/toestemming#kop-{info.code}",
                fields={"audience": info.code, "decision": consent.WITHDRAWN},
            ),
        )
    try:
        consent.decide(
            session,
            user=user,
            case_id=case_id,
            audience=audience,
            decision=decision,
            months=months,
            bus=bus,
        )
    except (InvalidInput, Conflict, Forbidden) as exc:
        context = _consent_context(
            session,
            user,
            case_id,
            error=exc.message,
            error_for=audience,
            errors=exc.field_errors,
            form={"months": months},
        )
        return render(request, "pages/consent.html", context, status_code=exc.status_code)
    return RedirectResponse(
        f"/cases/{case_id}/toestemming?opgeslagen={decision}#kop-{audience}", status_code=303
    )


@router.post("/cases/{case_id}/toestemming/overslaan", response_class=HTMLResponse)
def pass_over_form(
    request: Request,
    session: SessionDep,
    bus: AccessBusDep,
    user: CurrentUser,
    case_id: str,
    audience: Annotated[str, Form()] = "",
    parent: Annotated[int, Form()] = 0,
    reason: Annotated[str, Form()] = "",
    undo: Annotated[bool, Form()] = False,
) -> Response:
    try:
        consent.pass_over_parent(
            session,
            actor=user,
            case_id=case_id,
            audience=audience,
            parent_participant_id=parent,
            reason=reason,
            undo=undo,
            bus=bus,
        )
    except (InvalidInput, Conflict) as exc:
        context = _consent_context(
            session,
            user,
            case_id,
            pass_error=exc.message,
            errors=exc.field_errors,
            form={"reason": reason, "parent": parent, "audience": audience},
        )
        return render(request, "pages/consent.html", context, status_code=exc.status_code)
    return RedirectResponse(f"/cases/{case_id}/toestemming?overgeslagen=1", status_code=303)
