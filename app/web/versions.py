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

from app.crdt.restore import load_doc
from app.crdt.schema import read_document, section_schema, whole_number
from app.models import Version, today
from app.services import (
    cases,
    checkpoints,
    compare,
    evaluations,
    membership,
    printing,
    restore,
    versions,
)
from app.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.services.live_documents import current_states
from app.settings import Settings
from app.web import confirm
from app.web.deps import CurrentUser, RoomsDep, RowInPath, RowInQuery, SessionDep, SettingsDep
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
            session,
            actor=user,
            case_id=case_id,
            states=states,
            title=form.get("title", ""),
            meeting_date=form.get("meeting_date", ""),
            decisions=form.get("decisions", ""),
            next_evaluation_date=form.get("next_evaluation_date", ""),
            settings=settings,
        )
    )


class VersionCreate(BaseModel):
    title: str
    meeting_date: str = ""
    decisions: str = ""
    next_evaluation_date: str = ""


def _version_public(view: versions.VersionView) -> dict[str, Any]:
    """A version for the API. What is not shared with the reader stays as a key with null
    (``decisions``, a ``remark``), so clients see the same shape; ``content_shared`` says why."""
    return {
        "kind": "vastgesteld",
        "number": view.number,
        "title": view.title,
        "meeting_date": view.meeting_date.isoformat() if view.meeting_date else None,
        "decisions": view.decisions,
        "next_evaluation_date": (
            view.next_evaluation_date.isoformat() if view.next_evaluation_date else None
        ),
        "adopted_at": view.adopted_at.isoformat(),
        "adopted_by_id": view.adopted_by_id,
        "content_hash": view.content_hash,
        "previous_hash": view.previous_hash,
        "content_shared": view.content_shared,
        "approvals": [
            {
                "participant_id": line.participant.id,
                "name": line.user.name,
                "role": str(line.participant.role),
                "decision": str(line.decision) if line.decision else None,
                "remark": line.remark,
            }
            for line in view.approvals
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
    view = await run_in_threadpool(
        lambda: versions.view_of(
            session,
            version=version,
            reader=membership.active_participant(session, user=user, case_id=case_id),
        )
    )
    return _version_public(view)


def _checkpoint_public(line: checkpoints.CheckpointLine) -> dict[str, Any]:
    checkpoint = line.checkpoint
    return {
        "kind": "auto",
        "id": checkpoint.id,
        "number": None,
        "title": line.title,
        "section": line.access.section_name,
        "doc_id": checkpoint.document_id,
        "reason": str(checkpoint.reason),
        "reason_label": line.reason_label,
        "note": checkpoint.note,
        "made_by": line.made_by or None,
        "created_at": checkpoint.created_at.isoformat(),
        "upto_update_id": checkpoint.upto_update_id,
        "authors": line.authors,
        "url": line.path,
    }


@router.get("/api/cases/{case_id}/versions")
def api_versions(session: SessionDep, user: CurrentUser, case_id: str) -> dict[str, Any]:
    """The adopted versions (``"kind": "vastgesteld"``, newest first), then the automatic
    versions of the documents the reader may read (``"kind": "auto"``, newest first)."""
    adopted = [_version_public(v) for v in versions.views_for(session, user=user, case_id=case_id)]
    chain = versions.verify_chain(session, case_id=case_id)
    automatic = [
        _checkpoint_public(line)
        for line in checkpoints.checkpoints_for_user(session, user=user, case_id=case_id)
    ]
    return {"chain_ok": chain.ok, "versions": adopted + automatic}


@router.get("/cases/{case_id}/versies", response_class=HTMLResponse)
def versions_page(
    request: Request, session: SessionDep, user: CurrentUser, case_id: str
) -> Response:
    return render(request, "pages/versions.html", _versions_context(session, user, case_id))


def _versions_context(session: SessionDep, user: CurrentUser, case_id: str) -> dict[str, Any]:
    mine = cases.case_for(session, user=user, case_id=case_id)
    evaluation = evaluations.open_round_of(session, case_id=case_id)
    carried = versions.carried_evaluation_date(versions.latest_version(session, case_id=case_id))
    return {
        "user": user,
        "case": mine.case,
        "mine": mine,
        "versions": versions.views_for(session, user=user, case_id=case_id),
        "chain": versions.verify_chain(session, case_id=case_id),
        "can_adopt": versions.can_adopt(mine.participant),
        "automatic": checkpoints.checkpoints_for_user(session, user=user, case_id=case_id),
        "form": {
            "meeting_date": today().isoformat(),
            "next_evaluation_date": carried.isoformat() if carried else "",
        },
        "errors": {},
        "round_status": (
            evaluations.everyone_in(session, evaluation=evaluation)
            if evaluation and versions.can_adopt(mine.participant)
            else None
        ),
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
    except (InvalidInput, Conflict) as exc:
        context = await run_in_threadpool(_versions_context, session, user, case_id)
        context.update(form=form, errors=exc.field_errors, error=exc.message)
        return render(request, "pages/versions.html", context, status_code=exc.status_code)
    return RedirectResponse(f"/cases/{case_id}/versies/{version.number}?nieuw=1", status_code=303)


# --- one version ------------------------------------------------------------------------------


def _version_context(
    session: SessionDep,
    user: CurrentUser,
    case_id: str,
    number: RowInPath,
    kept: str = "",
    left: str = "",
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
    assert model.version is not None
    mine_answer = next(
        (line for line in model.version.approvals if line.participant.id == mine.participant.id),
        None,
    )
    return {
        "user": user,
        "case": mine.case,
        "model": model,
        "version": model.version,
        "mine": mine,
        "my_answer": mine_answer,
        "decisions": versions.DECISION_LABELS,
        "NOT_ASKED": versions.NOT_ASKED,
        "can_restore": restore.may_restore(mine.participant),
        "kept": _kept_lines(session, user, case_id, kept),
        "not_restored": _not_restored_lines(session, user, case_id, left),
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
    van: RowInQuery = 0,
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
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    case_id: str,
    number: RowInPath,
    bewaard: str = "",
    niet: str = "",
) -> Response:
    context = _version_context(session, user, case_id, number, kept=bewaard, left=niet)
    return render(request, "pages/version.html", context)


@router.post("/cases/{case_id}/versies/{number}/akkoord", response_class=HTMLResponse)
def approve(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    case_id: str,
    number: RowInPath,
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
    request: Request,
    session: SessionDep,
    rooms: RoomsDep,
    user: CurrentUser,
    case_id: str,
    number: RowInPath,
    bevestigd: Annotated[str, Form()] = "",
) -> Response:
    """Write the content of an earlier version as a new change; live editors see it arrive.
    What stood there before is kept as an automatic version first."""
    if not confirm.is_confirmed(bevestigd):
        version = await run_in_threadpool(_version_to_restore, session, user, case_id, number)
        return confirm.ask(
            request,
            user=user,
            confirmation=confirm.Confirmation(
                title=f"Versie {version.number} terugzetten?",
                question=(
                    f"Weet je zeker dat je de inhoud van versie {version.number} "
                    f"({version.title}) terug wilt zetten?"
                ),
                consequence=RESTORE_CONSEQUENCE,
                button=f"Ja, zet versie {version.number} terug",
                action=f"/cases/{case_id}/versies/{number}/herstellen",
                back=f"/cases/{case_id}/versies/{number}",
            ),
        )
    outcome = await restore.restore_version(
        session, actor=user, case_id=case_id, number=number, live=rooms
    )
    return RedirectResponse(
        f"/cases/{case_id}/versies/{number}?hersteld={_outcome_query(outcome)}", status_code=303
    )


def _outcome_query(outcome: restore.Outcome) -> str:
    """How many documents changed, the checkpoints kept of them, and the documents left alone,
    for the page after the redirect."""
    kept = ",".join(str(r.before.id) for r in outcome.restored)
    left = ",".join(outcome.not_restored)
    return f"{len(outcome.restored)}&bewaard={kept}&niet={left}"


RESTORE_CONSEQUENCE = (
    "Wat er nu staat, wordt eerst automatisch bewaard. Je vindt het terug bij de versies, "
    "onder 'Automatisch bewaard'. Wie het stuk nu open heeft, ziet de wijziging meteen."
)


def _version_to_restore(
    session: SessionDep, user: CurrentUser, case_id: str, number: int
) -> Version:
    membership.require_aanspreekpunt(session, user=user, case_id=case_id)
    return versions.get_version(session, case_id=case_id, number=number)


def _kept_lines(
    session: SessionDep, user: CurrentUser, case_id: str, ids: str
) -> list[checkpoints.CheckpointLine]:
    """The checkpoints named in a redirect after a restore (``bewaard=12,13``) the reader may
    read."""
    lines = []
    for part in ids.split(","):
        checkpoint_id = whole_number(part)
        if checkpoint_id is not None:
            try:
                lines.append(
                    checkpoints.get_checkpoint(
                        session, user=user, case_id=case_id, checkpoint_id=checkpoint_id
                    )
                )
            except NotFound:
                continue
    return lines


def _not_restored_lines(
    session: SessionDep, user: CurrentUser, case_id: str, ids: str
) -> list[restore.NotRestored]:
    """The documents named in a redirect after a restore (``niet=<id>,<id>``) that were left
    alone because the reader may not write in them."""
    return restore.not_restored_lines(
        session, user=user, case_id=case_id, document_ids=[i for i in ids.split(",") if i]
    )


# --- automatic versions ----------------------------------------------------------------------


@router.get("/cases/{case_id}/versies/auto/{checkpoint_id}", response_class=HTMLResponse)
def checkpoint_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    case_id: str,
    checkpoint_id: RowInPath,
    bewaard: str = "",
    niet: str = "",
) -> Response:
    """One automatic version: what changed in it and by whom, its content, and restoring it."""
    view = checkpoints.checkpoint_view(
        session, user=user, case_id=case_id, checkpoint_id=checkpoint_id
    )
    mine = cases.case_for(session, user=user, case_id=case_id)
    section = view.line.access.section_name
    return render(
        request,
        "pages/checkpoint.html",
        {
            "user": user,
            "case": mine.case,
            "line": view.line,
            "changes": view.changes,
            "schema": section_schema(section),
            "data": read_document(section, load_doc(view.state)),
            "names": membership.participant_names(session, case_id=case_id),
            "can_restore": view.line.access.access == "edit",
            "kept": _kept_lines(session, user, case_id, bewaard),
            "not_restored": _not_restored_lines(session, user, case_id, niet),
        },
    )


@router.post("/cases/{case_id}/versies/auto/{checkpoint_id}/terugzetten")
async def restore_checkpoint(
    request: Request,
    session: SessionDep,
    rooms: RoomsDep,
    user: CurrentUser,
    case_id: str,
    checkpoint_id: RowInPath,
    bevestigd: Annotated[str, Form()] = "",
) -> Response:
    """Bring an automatic version back as a new change (anyone who may edit the document)."""
    if not confirm.is_confirmed(bevestigd):
        line = await run_in_threadpool(
            lambda: checkpoints.get_checkpoint(
                session, user=user, case_id=case_id, checkpoint_id=checkpoint_id
            )
        )
        if line.access.access != "edit":
            raise Forbidden(
                "Je kunt dit stuk alleen lezen. Terugzetten kan alleen wie erin mag schrijven."
            )
        name = checkpoints.name_of(line.checkpoint)
        return confirm.ask(
            request,
            user=user,
            confirmation=confirm.Confirmation(
                title="Deze automatische versie terugzetten?",
                question=f"Weet je zeker dat je {name} van {line.title} terug wilt zetten?",
                consequence=RESTORE_CONSEQUENCE,
                button="Ja, zet deze versie terug",
                action=f"/cases/{case_id}/versies/auto/{checkpoint_id}/terugzetten",
                back=f"/cases/{case_id}/versies/auto/{checkpoint_id}",
            ),
        )
    outcome = await restore.restore_checkpoint(
        session, actor=user, case_id=case_id, checkpoint_id=checkpoint_id, live=rooms
    )
    return RedirectResponse(
        f"/cases/{case_id}/versies/auto/{checkpoint_id}?teruggezet={_outcome_query(outcome)}",
        status_code=303,
    )
