"""Vaststellen, version history, compare, restore and print (HTML and PDF).

Routes that need the live state of documents ask the room server for it; every rule lives
in app/services/versions.py, printing.py and compare.py.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from app.crdt.restore import load_doc, restore_update
from app.crdt.schema import read_document, section_title
from app.deps import CurrentUser, SessionDep
from app.headers import content_disposition
from app.models import Role, Section, Version, today
from app.pdf import html_to_pdf
from app.services import audit, cases, documents, membership, printing, versions
from app.services.compare import SectionChanges, diff_section
from app.services.errors import InvalidInput, NotFound
from app.templating import render

router = APIRouter()


async def _live_states(request: Request, doc_ids: list[str]) -> dict[str, bytes]:
    rooms = request.app.state.rooms
    return {doc_id: await rooms.current_state(doc_id) for doc_id in doc_ids}


def _frozen_states(session: SessionDep, version: Version) -> dict[str, bytes]:
    return {d: row.state for d, row in versions.version_documents(session, version=version).items()}


# --- vaststellen -----------------------------------------------------------------------------


async def _adopt(
    request: Request, session: SessionDep, user: CurrentUser, case_id: str, form: dict[str, str]
) -> Version:
    await run_in_threadpool(membership.require_aanspreekpunt, session, user=user, case_id=case_id)
    docs = await run_in_threadpool(versions.case_documents, session, case_id=case_id)
    states = await _live_states(request, [d.id for d in docs])
    return await run_in_threadpool(
        lambda: versions.adopt(session, actor=user, case_id=case_id, states=states, **form)
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
    request: Request, session: SessionDep, user: CurrentUser, case_id: str, body: VersionCreate
) -> dict[str, Any]:
    version = await _adopt(request, session, user, case_id, body.model_dump())
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
        "can_adopt": mine.participant.role == Role.aanspreekpunt,
        "form": {"meeting_date": today().isoformat()},
        "errors": {},
    }


@router.post("/cases/{case_id}/versies", response_class=HTMLResponse)
async def adopt_version(
    request: Request,
    session: SessionDep,
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
        version = await _adopt(request, session, user, case_id, form)
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
        states=_frozen_states(session, version),
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
        "can_restore": mine.participant.role == Role.aanspreekpunt,
        "form": {},
        "errors": {},
    }


@router.get("/cases/{case_id}/versies/vergelijk", response_class=HTMLResponse)
async def compare_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    case_id: str,
    van: int = 0,
    naar: str = "nu",
) -> Response:
    context = await run_in_threadpool(_compare_base, session, user, case_id, van, naar)
    to_version: Version | None = context["to_version"]
    readable: list[documents.DocumentAccess] = context["readable"]
    if to_version is None:
        after_states = await _live_states(request, [d.document.id for d in readable])
    else:
        after_states = await run_in_threadpool(_frozen_states, session, to_version)
    context["sections"] = await run_in_threadpool(_compare_sections, session, context, after_states)
    return render(request, "pages/compare.html", context)


def _compare_base(
    session: SessionDep, user: CurrentUser, case_id: str, van: int, naar: str
) -> dict[str, Any]:
    mine = cases.case_for(session, user=user, case_id=case_id)
    history = versions.list_versions(session, case_id=case_id)
    if not history:
        raise NotFound("Er is nog geen versie vastgesteld om mee te vergelijken.")
    from_version = versions.get_version(session, case_id=case_id, number=van or history[-1].number)
    to_version = (
        None
        if naar == "nu"
        else versions.get_version(
            session, case_id=case_id, number=int(naar) if naar.isdigit() else -1
        )
    )
    members = membership.active_members(session, case_id=case_id)
    return {
        "user": user,
        "case": mine.case,
        "versions": history,
        "from_version": from_version,
        "to_version": to_version,
        "naar": naar,
        "names": {m.participant.id: m.user.name for m in members},
        "readable": documents.documents_for_user(session, user=user, case_id=case_id),
    }


def _compare_sections(
    session: SessionDep, context: dict[str, Any], after_states: dict[str, bytes]
) -> list[SectionChanges]:
    before_rows = versions.version_documents(session, version=context["from_version"])
    to_version: Version | None = context["to_version"]
    after_rows = versions.version_documents(session, version=to_version) if to_version else {}
    names: dict[int, str] = context["names"]
    result = []
    for access in context["readable"]:
        document = access.document
        key = "verhaal" if document.section == Section.verhaal else str(document.section)
        before_row = before_rows.get(document.id)
        before = read_document(key, load_doc(before_row.state if before_row else b""))
        after = read_document(key, load_doc(after_states.get(document.id, b"")))
        owner = names.get(document.owner_participant_id or 0)
        changes = SectionChanges(
            section=access.section_name,
            title=section_title(key, owner_name=owner),
            changes=diff_section(key, before, after, names),
        )
        if changes.changes:
            after_row = after_rows.get(document.id)
            changes.authors = versions.authors_between(
                session,
                document_id=document.id,
                after_update_id=before_row.upto_update_id if before_row else 0,
                upto_update_id=after_row.upto_update_id if after_row else None,
            )
        result.append(changes)
    return result


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
    request: Request, session: SessionDep, user: CurrentUser, case_id: str, number: int
) -> Response:
    """Write the content of an earlier version as a new change; live editors see it arrive."""
    await run_in_threadpool(membership.require_aanspreekpunt, session, user=user, case_id=case_id)
    version = await run_in_threadpool(versions.get_version, session, case_id=case_id, number=number)
    frozen = await run_in_threadpool(versions.version_documents, session, version=version)
    docs = await run_in_threadpool(versions.case_documents, session, case_id=case_id)
    rooms = request.app.state.rooms
    restored = 0
    for document in docs:
        row = frozen.get(document.id)
        if row is None:
            continue
        key = "verhaal" if document.section == Section.verhaal else str(document.section)
        current = await rooms.current_state(document.id)
        update = restore_update(key, current=current, target=row.state)
        if update:
            await rooms.apply_server_update(document.id, update, author_user_id=user.id)
            restored += 1
    return RedirectResponse(
        f"/cases/{case_id}/versies/{number}?hersteld={restored}", status_code=303
    )


# --- print ------------------------------------------------------------------------------------


async def _print_model(
    request: Request, session: SessionDep, user: CurrentUser, case_id: str, number: int | None
) -> printing.PrintModel:
    if number is None:
        readable = await run_in_threadpool(
            documents.documents_for_user, session, user=user, case_id=case_id
        )
        states = await _live_states(request, [d.document.id for d in readable])
        version = None
    else:
        version = await run_in_threadpool(
            versions.get_version, session, case_id=case_id, number=number
        )
        states = await run_in_threadpool(_frozen_states, session, version)
    return await run_in_threadpool(
        lambda: printing.build(session, user=user, case_id=case_id, states=states, version=version)
    )


async def _print(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    case_id: str,
    number: int | None,
    as_pdf: bool,
) -> Response:
    model = await _print_model(request, session, user, case_id, number)
    base = f"/cases/{case_id}" + (f"/versies/{number}" if number else "")
    context = {
        "model": model,
        "printed_on": today(),
        "for_pdf": as_pdf,
        "pdf_url": f"{base}/print.pdf",
    }
    detail = f"versie {number}" if number else "concept"
    await run_in_threadpool(
        lambda: audit.record(
            session,
            case_id=case_id,
            user=user,
            action=audit.Action.export if as_pdf else audit.Action.print,
            subject=detail,
        )
    )
    page = render(request, "pages/print.html", context)
    if not as_pdf:
        return page
    pdf = await run_in_threadpool(html_to_pdf, bytes(page.body).decode())
    filename = f"plan-{model.case.label.lower().replace(' ', '-')}-{detail.replace(' ', '-')}.pdf"
    # A download, not shown inline: Chrome's PDF viewer does not work under our CSP
    # (object-src 'none'), and the link says "Download als PDF".
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": content_disposition(filename)},
    )


@router.get("/cases/{case_id}/print", response_class=HTMLResponse)
async def print_concept(
    request: Request, session: SessionDep, user: CurrentUser, case_id: str
) -> Response:
    return await _print(request, session, user, case_id, None, as_pdf=False)


@router.get("/cases/{case_id}/print.pdf")
async def print_concept_pdf(
    request: Request, session: SessionDep, user: CurrentUser, case_id: str
) -> Response:
    return await _print(request, session, user, case_id, None, as_pdf=True)


@router.get("/cases/{case_id}/versies/{number}/print", response_class=HTMLResponse)
async def print_version(
    request: Request, session: SessionDep, user: CurrentUser, case_id: str, number: int
) -> Response:
    return await _print(request, session, user, case_id, number, as_pdf=False)


@router.get("/cases/{case_id}/versies/{number}/print.pdf")
async def print_version_pdf(
    request: Request, session: SessionDep, user: CurrentUser, case_id: str, number: int
) -> Response:
    return await _print(request, session, user, case_id, number, as_pdf=True)
