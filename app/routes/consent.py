"""Consent, share links and the access log: pages and the JSON API of the public contract.

Routes stay thin: they read the form or JSON, call a service and render.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlmodel import Session

from app.deps import AccessBusDep, CurrentUser, SessionDep
from app.models import Consent, Document, Participant, Role, Section, User
from app.services import audit, cases, consent, documents, shares
from app.services.errors import Conflict, Forbidden, InvalidInput, ServiceError
from app.services.participants import active_members, require_aanspreekpunt
from app.templating import render

router = APIRouter()


# --- shapes of the API ---------------------------------------------------------------------


class ConsentIn(BaseModel):
    audience: str
    decision: str
    months: int = consent.DEFAULT_MONTHS


class ShareIn(BaseModel):
    audience: str = "school"
    label: str = ""
    expires_in_days: int | str = shares.DEFAULT_DAYS
    ground: str = consent.Ground.toestemming
    motivation: str = ""


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
    names = consent.participant_names(session, case_id=case_id)
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
    names = consent.participant_names(session, case_id=case_id)
    payload = _consent_json(record, names, with_motivation=True)
    payload["state"] = _state_json(consent.consent_state(session, case_id, body.audience))
    return JSONResponse(payload, status_code=201)


# --- consent page --------------------------------------------------------------------------


def _history_lines(session: Session, *, case_id: str, viewer: Participant) -> list[dict[str, Any]]:
    names = consent.participant_names(session, case_id=case_id)
    with_motivation = consent.may_read_motivations(viewer)
    lines = []
    for record in consent.history(session, case_id=case_id):
        who = names.get(record.granted_by_participant_id, "Iemand")
        audience = consent.AUDIENCES.get(record.audience)
        target = audience.name if audience else record.audience
        if record.kind == consent.Kind.consent:
            did = "gaf toestemming" if record.status == consent.GIVEN else "trok toestemming in"
            text = f"{who} {did} om te delen met {target}"
            if record.valid_until:
                text += f", tot {_datum(record.valid_until)}"
        elif record.kind == consent.Kind.pass_over:
            parent = names.get(record.passed_over_participant_id or 0, "een ouder")
            if record.status == consent.GIVEN:
                text = f"{who} (vast aanspreekpunt) sloeg {parent} over bij delen met {target}"
            else:
                text = (
                    f"{who} (vast aanspreekpunt) vraagt {parent} weer om toestemming voor {target}"
                )
        else:
            label = consent.GROUND_LABELS.get(record.ground, record.ground)
            if record.status == consent.GIVEN:
                text = f"{who} deelde met {target} zonder toestemming. Grond: {label}"
            else:
                text = f"Het delen met {target} zonder toestemming is gestopt"
        lines.append(
            {
                "record": record,
                "text": text,
                "motivation": record.motivation if with_motivation else None,
                "hidden_motivation": bool(record.motivation) and not with_motivation,
                "band": record.age_band,
            }
        )
    return lines


def _datum(day: date) -> str:
    return audit.dutch_date(day)


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
    context: dict[str, Any] = {
        "user": user,
        "case": mine.case,
        "me": participant,
        "age": mine.youth_age,
        "blocks": blocks,
        "history": _history_lines(session, case_id=case_id, viewer=participant),
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
) -> Response:
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


# --- share API -----------------------------------------------------------------------------


def _share_url(request: Request, token: str) -> str:
    return str(request.base_url).rstrip("/") + f"/gedeeld/{token}"


@router.post("/api/cases/{case_id}/shares", status_code=201)
def create_share_api(
    request: Request,
    session: SessionDep,
    bus: AccessBusDep,
    user: CurrentUser,
    case_id: str,
    body: ShareIn,
) -> JSONResponse:
    """A read-only link when consent covers it; 409 naming who still has to consent."""
    created = shares.create_share(
        session,
        actor=user,
        case_id=case_id,
        audience=body.audience,
        label=body.label,
        expires_in_days=body.expires_in_days,
        ground=body.ground,
        motivation=body.motivation,
        bus=bus,
    )
    return JSONResponse(
        {
            "share_id": created.share.id,
            "url": _share_url(request, created.token),
            "path": created.path,
            "expires_at": created.share.expires_at.isoformat(),
            "ground": created.share.ground,
        },
        status_code=201,
    )


@router.delete("/api/shares/{share_id}", status_code=204)
def revoke_share_api(
    session: SessionDep, bus: AccessBusDep, user: CurrentUser, share_id: str
) -> Response:
    shares.revoke_share(session, actor=user, share_id=share_id, bus=bus)
    return Response(status_code=204)


# --- shares page ---------------------------------------------------------------------------


def _shares_context(session: Session, user: User, case_id: str, **extra: Any) -> dict[str, Any]:
    require_aanspreekpunt(session, user=user, case_id=case_id)
    mine = cases.case_for(session, user=user, case_id=case_id)
    state = consent.consent_state(session, case_id, "school")
    context: dict[str, Any] = {
        "user": user,
        "case": mine.case,
        "age": mine.youth_age,
        "state": state,
        "status_text": consent.STATUS_TEXT,
        "rows": shares.shares_of(session, actor=user, case_id=case_id),
        "grounds": consent.GROUND_LABELS,
        "school": consent.AUDIENCES["school"],
        "form": {"label": "", "expires_in_days": shares.DEFAULT_DAYS, "ground": "toestemming"},
        "errors": {},
    }
    context.update(extra)
    return context


@router.get("/cases/{case_id}/delen", response_class=HTMLResponse)
def shares_page(request: Request, session: SessionDep, user: CurrentUser, case_id: str) -> Response:
    return render(request, "pages/shares.html", _shares_context(session, user, case_id))


@router.post("/cases/{case_id}/delen", response_class=HTMLResponse)
def create_share_form(
    request: Request,
    session: SessionDep,
    bus: AccessBusDep,
    user: CurrentUser,
    case_id: str,
    label: Annotated[str, Form()] = "",
    expires_in_days: Annotated[str, Form()] = "",
    ground: Annotated[str, Form()] = "toestemming",
    motivation: Annotated[str, Form()] = "",
) -> Response:
    form = {
        "label": label,
        "expires_in_days": expires_in_days,
        "ground": ground,
        "motivation": motivation,
    }
    try:
        created = shares.create_share(
            session,
            actor=user,
            case_id=case_id,
            audience="school",
            label=label,
            expires_in_days=expires_in_days,
            ground=ground,
            motivation=motivation,
            bus=bus,
        )
    except (InvalidInput, Conflict) as exc:
        context = _shares_context(
            session, user, case_id, form=form, errors=exc.field_errors, error=exc.message
        )
        return render(request, "pages/shares.html", context, status_code=exc.status_code)
    context = _shares_context(
        session, user, case_id, new_share=created, new_url=_share_url(request, created.token)
    )
    return render(request, "pages/shares.html", context, status_code=201)


@router.post("/cases/{case_id}/delen/{share_id}/intrekken")
def revoke_share_form(
    session: SessionDep, bus: AccessBusDep, user: CurrentUser, case_id: str, share_id: str
) -> Response:
    shares.revoke_share(session, actor=user, share_id=share_id, case_id=case_id, bus=bus)
    return RedirectResponse(f"/cases/{case_id}/delen?gestopt=1", status_code=303)


# --- the shared page (no sign-in) ----------------------------------------------------------


@router.get("/gedeeld/{token}", response_class=HTMLResponse)
def shared_page(request: Request, session: SessionDep, token: str) -> Response:
    try:
        view = shares.open_share(session, token=token)
    except ServiceError as exc:
        response = render(
            request,
            "pages/share_gone.html",
            {"user": None, "message": exc.message},
            status_code=exc.status_code,
        )
    else:
        response = render(request, "pages/share_view.html", {"user": None, "view": view})
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- the access log ------------------------------------------------------------------------

FAMILY_ROLES = (Role.jongere, Role.ouder)


def _parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


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
    """'Wie heeft ons plan bekeken?' for the family; filterable for the aanspreekpunt."""
    mine = cases.case_for(session, user=user, case_id=case_id)
    viewer = mine.participant
    if viewer.role not in (*FAMILY_ROLES, Role.aanspreekpunt):
        raise Forbidden("Het logboek is voor de jongere, de ouders en het vaste aanspreekpunt.")
    is_aanspreekpunt = viewer.role == Role.aanspreekpunt
    errors: dict[str, str] = {}
    since, until = _parse_day(van), _parse_day(tot)
    if van and since is None:
        errors["van"] = "Vul een datum in."
    if tot and until is None:
        errors["tot"] = "Vul een datum in."
    rows = audit.entries(
        session,
        case_id=case_id,
        actions=[actie] if actie and is_aanspreekpunt else None,
        actor_name=wie if is_aanspreekpunt else None,
        since=since if is_aanspreekpunt else None,
        until=until if is_aanspreekpunt else None,
    )
    safety = _reads_safety(session, viewer)
    rows = [r for r in rows if safety or not (r.subject or "").startswith("document:veiligheid")]
    private_detail = not consent.may_read_motivations(viewer)
    lines = [
        {
            "entry": r,
            "who": r.actor_name,
            "role": audit.role_label(r.actor_role),
            "sentence": audit.ACTION_SENTENCES.get(r.action, r.action),
            "label": audit.ACTION_LABELS.get(r.action, r.action),
            "detail": (
                ""
                if private_detail and r.action in ("access_without_consent", "consent_passed_over")
                else r.detail
            ),
            "without_consent": r.action == audit.Action.access_without_consent,
            "at": audit.local_time(r.occurred_at),
        }
        for r in rows
    ]
    return render(
        request,
        "pages/log.html",
        {
            "user": user,
            "case": mine.case,
            "me": viewer,
            "is_aanspreekpunt": is_aanspreekpunt,
            "lines": lines,
            "groups": _family_groups(lines),
            "chain": audit.verify_chain(session, case_id=case_id) if is_aanspreekpunt else None,
            "actions": audit.ACTION_LABELS,
            "actors": audit.actors(session, case_id=case_id) if is_aanspreekpunt else [],
            "filters": {"actie": actie, "wie": wie, "van": van, "tot": tot},
            "errors": errors,
        },
    )


def _reads_safety(session: Session, viewer: Participant) -> bool:
    probe = Document(case_id=viewer.case_id, section=Section.veiligheid)
    return documents.access_for(viewer, probe) is not None


def _family_groups(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Repeated views by one person on one day become one line ('3 keer')."""
    groups: list[dict[str, Any]] = []
    index: dict[tuple[Any, ...], dict[str, Any]] = {}
    for line in lines:
        entry = line["entry"]
        key = (line["at"].date(), entry.actor_name, entry.action, entry.subject)
        if entry.action in audit.VIEW_ACTIONS and key in index:
            index[key]["count"] += 1
            continue
        group = {**line, "count": 1, "day": line["at"].date()}
        groups.append(group)
        if entry.action in audit.VIEW_ACTIONS:
            index[key] = group
    return groups
