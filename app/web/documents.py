"""The document editor page: one CRDT document of a case, edited live in the browser.

The page only hands the editor its configuration (document, access, schema, people); the
content itself arrives over the WebSocket, which checks access again for every connection.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from app.crdt.schema import load_schema, section_schema, section_title
from app.models import Case, Role, Section, StoryReaders, User
from app.services import audit, documents, last_visit, membership, stories
from app.services.errors import NotFound
from app.web.deps import CurrentUser, SessionDep
from app.web.templating import render

router = APIRouter()


@router.get("/cases/{case_id}/docs/{doc_id}", response_class=HTMLResponse)
def document_page(
    request: Request, case_id: str, doc_id: str, session: SessionDep, user: CurrentUser
) -> HTMLResponse:
    """The live editor for one document (read-only for view access)."""
    access = documents.document_access(session, user=user, doc_id=doc_id)
    case = session.get(Case, case_id)
    if case is None or access.document.case_id != case_id:
        raise NotFound()
    members = membership.active_members(session, case_id=case_id)
    section = access.section_name
    owner = next(
        (m for m in members if m.participant.id == access.document.owner_participant_id), None
    )
    owner_name = owner.user.name if owner else "een deelnemer"
    title = section_title(section, owner_name=owner_name)
    schema = section_schema(section)
    intro = schema["intro"]
    is_own_story = owner is not None and owner.participant.id == access.participant.id
    if is_own_story:
        title = "Mijn verhaal"
    elif "intro_others" in schema:
        intro = schema["intro_others"].replace("{naam}", owner_name)
    config = editor_config(session, user=user, access=access, members=members)
    # What others changed since this person last opened it, computed before opening marks it
    # seen: the editor highlights these fields.
    news = last_visit.document_news(
        session,
        user=user,
        access=access,
        names=membership.participant_names(session, case_id=case_id),
        owner_names=membership.names_of(members),
    )
    config["changes"] = news.as_json()["fields"]
    last_visit.mark_seen(session, user_id=user.id, document_id=doc_id)  # type: ignore[arg-type]
    audit.record(
        session,
        case_id=case_id,
        user=user,
        action=audit.Action.document_opened,
        subject=f"document:{section}:{doc_id}",
        detail=section_title(section, owner_name=owner_name),
    )
    document = access.document
    return render(
        request,
        "pages/document.html",
        {
            "user": user,
            "case": case,
            "title": title,
            "intro": intro,
            "access": access.access,
            "section": section,
            "is_own_story": is_own_story,
            "config": config,
            "written_for_you": stories.written_for_owner(session, access=access),
            "story_readers": (
                stories.READER_LABELS[StoryReaders(document.story_readers)]
                if is_own_story
                else None
            ),
            "helper_blocked": (
                document.section == Section.verhaal
                and access.participant.role == Role.aanspreekpunt
                and not document.helper_writes
                and not is_own_story
            ),
            "owner_name": owner_name,
        },
    )


def editor_config(
    session: Session,
    *,
    user: User,
    access: documents.DocumentAccess,
    members: list[membership.Member],
) -> dict[str, Any]:
    """Everything the browser editor needs besides the document itself."""
    schema = load_schema()
    section = access.section_name
    config: dict[str, Any] = {
        "doc_id": access.document.id,
        "section": section,
        "access": access.access,
        "schema": section_schema(section),
        "option_lists": schema["option_lists"],
        "participants": [
            {
                "id": m.participant.id,
                "name": m.user.name,
                "role": str(m.participant.role),
                "role_label": m.role_label,
            }
            for m in members
        ],
        "role_labels": {str(role): label for role, label in membership.ROLE_LABELS.items()},
        "me": {"participant_id": access.participant.id, "role": str(access.participant.role)},
        "linked": {},
        # what others changed since this person's last visit: [{"path", "label", "by"}]
        "changes": [],
    }
    if access.document.section == Section.plan:
        # goals link to hypotheses of the analysis: open it read-only, if this person may read it
        for other in documents.documents_for_user(
            session, user=user, case_id=access.document.case_id
        ):
            if other.document.section == Section.analyse:
                config["linked"]["analyse"] = {
                    "doc_id": other.document.id,
                    "schema": section_schema("analyse"),
                }
    return config
