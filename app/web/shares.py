"""Share links for school and for family and network: the aanspreekpunt's page, the JSON API
and the shared page itself."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlmodel import Session

from app.models import User
from app.services import cases, consent, shares
from app.services.errors import Conflict, InvalidInput, ServiceError
from app.services.membership import require_aanspreekpunt
from app.web import confirm
from app.web.deps import AccessBusDep, CurrentUser, SessionDep
from app.web.templating import render

router = APIRouter()


class ShareIn(BaseModel):
    audience: str = "school"
    label: str = ""
    expires_in_days: int | str = shares.DEFAULT_DAYS
    ground: str = consent.Ground.toestemming
    motivation: str = ""
    scope: list[str] | None = None  # part codes of the audience; None: its default parts


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
        scope=body.scope,
        bus=bus,
    )
    return JSONResponse(
        {
            "share_id": created.share.id,
            "url": _share_url(request, created.token),
            "path": created.path,
            "audience": created.share.audience,
            "scope": shares.scope_of(created.share),
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
    audiences = [consent.AUDIENCES[code] for code in shares.SHARE_AUDIENCES]
    context: dict[str, Any] = {
        "user": user,
        "case": mine.case,
        "age": mine.youth_age,
        "audiences": audiences,
        "states": {a.code: consent.consent_state(session, case_id, a.code) for a in audiences},
        "parts": shares.PARTS,
        "never": shares.NEVER_SHOWN,
        "status_text": consent.STATUS_TEXT,
        "rows": shares.shares_of(session, actor=user, case_id=case_id),
        "grounds": consent.GROUND_LABELS,
        "form": {
            "audience": "school",
            "label": "",
            "expires_in_days": shares.DEFAULT_DAYS,
            "ground": "toestemming",
            **{f"scope_{a.code}": shares.default_scope(a.code) for a in audiences},
        },
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
    audience: Annotated[str, Form()] = "school",
    label: Annotated[str, Form()] = "",
    expires_in_days: Annotated[str, Form()] = "",
    ground: Annotated[str, Form()] = "toestemming",
    motivation: Annotated[str, Form()] = "",
    scope_school: Annotated[list[str] | None, Form()] = None,
    scope_netwerk: Annotated[list[str] | None, Form()] = None,
    scope_form: Annotated[str, Form()] = "",
) -> Response:
    """One fieldset of checkboxes per audience; only the chosen audience's parts count. The
    page's form sends ``scope_form`` so that no box ticked means no part; without it (a
    plain post) the audience's default parts are used."""
    submitted = {"school": scope_school or [], "netwerk": scope_netwerk or []}
    chosen = {
        code: submitted[code] if scope_form else shares.default_scope(code) for code in submitted
    }
    form = {
        "audience": audience,
        "label": label,
        "expires_in_days": expires_in_days,
        "ground": ground,
        "motivation": motivation,
        **{f"scope_{code}": parts for code, parts in chosen.items()},
    }
    scope = chosen.get(audience) if scope_form else None
    try:
        created = shares.create_share(
            session,
            actor=user,
            case_id=case_id,
            audience=audience,
            label=label,
            expires_in_days=expires_in_days,
            ground=ground,
            motivation=motivation,
            scope=scope,
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
    request: Request,
    session: SessionDep,
    bus: AccessBusDep,
    user: CurrentUser,
    case_id: str,
    share_id: str,
    bevestigd: Annotated[str, Form()] = "",
) -> Response:
    if not confirm.is_confirmed(bevestigd):
        share = shares.share_to_revoke(session, actor=user, case_id=case_id, share_id=share_id)
        return confirm.ask(
            request,
            user=user,
            confirmation=confirm.Confirmation(
                title="Link stopzetten?",
                question=f"Weet je zeker dat je de link voor {share.label} wilt stopzetten?",
                consequence=(
                    "De link werkt dan meteen niet meer, ook niet als iemand hem nu open heeft. "
                    "Je kunt hem niet weer aanzetten; wel kun je later een nieuwe link maken."
                ),
                button="Ja, stopzetten",
                action=f"/cases/{case_id}/delen/{share_id}/intrekken",
                back=f"/cases/{case_id}/delen",
            ),
        )
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
