"""The access log: "Wie heeft ons plan bekeken?" for the family, a filterable table for the
aanspreekpunt.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.deps import CurrentUser, SessionDep
from app.dutch import local_time
from app.models import Document, Participant, Role, Section
from app.services import audit, cases, consent, documents, membership
from app.services.errors import Forbidden
from app.templating import render

router = APIRouter()


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
            "role": membership.role_label(r.actor_role),
            "sentence": audit.ACTION_SENTENCES.get(r.action, r.action),
            "label": audit.ACTION_LABELS.get(r.action, r.action),
            "detail": (
                ""
                if private_detail and r.action in ("access_without_consent", "consent_passed_over")
                else r.detail
            ),
            "without_consent": r.action == audit.Action.access_without_consent,
            "at": local_time(r.occurred_at),
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
