"""Own stories: the owner chooses who reads theirs and whether the aanspreekpunt may write in
it (``services/stories.py`` decides and stores)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.services import stories
from app.services.errors import InvalidInput
from app.web.deps import AccessBusDep, CurrentUser, SessionDep
from app.web.templating import render

router = APIRouter()


@router.get("/cases/{case_id}/docs/{doc_id}/lezers", response_class=HTMLResponse)
def story_choices_page(
    request: Request, session: SessionDep, user: CurrentUser, case_id: str, doc_id: str
) -> Response:
    choices = stories.story_choices(session, user=user, case_id=case_id, doc_id=doc_id)
    return render(request, "pages/story_readers.html", {"user": user, "story": choices})


@router.post("/cases/{case_id}/docs/{doc_id}/lezers", response_class=HTMLResponse)
def choose_story_readers(
    request: Request,
    session: SessionDep,
    bus: AccessBusDep,
    user: CurrentUser,
    case_id: str,
    doc_id: str,
    readers: Annotated[str, Form()] = "",
    helper_writes: Annotated[bool, Form()] = False,
) -> Response:
    try:
        stories.set_story_choices(
            session,
            user=user,
            case_id=case_id,
            doc_id=doc_id,
            readers=readers,
            helper_writes=helper_writes,
            bus=bus,
        )
    except InvalidInput as exc:
        choices = stories.story_choices(session, user=user, case_id=case_id, doc_id=doc_id)
        return render(
            request,
            "pages/story_readers.html",
            {"user": user, "story": choices, "error": exc.message},
            status_code=422,
        )
    return RedirectResponse(f"/cases/{case_id}/docs/{doc_id}?lezers=1", status_code=303)
