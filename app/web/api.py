"""JSON API of the public contract."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from app.crdt.policy import Access
from app.services import documents
from app.web.deps import CurrentUser, SessionDep

router = APIRouter(prefix="/api")


class DocumentPublic(BaseModel):
    section: str  # "analyse", "plan", "perspectief", "veiligheid" or "verhaal/<participant id>"
    doc_id: str
    access: Access


@router.get("/cases/{case_id}/documents", response_model=list[DocumentPublic])
def list_documents(session: SessionDep, user: CurrentUser, case_id: str) -> list[DocumentPublic]:
    """The documents of a case the signed-in person may open, with edit or view access."""
    return [
        DocumentPublic(section=d.section_name, doc_id=d.document.id, access=d.access)
        for d in documents.documents_for_user(session, user=user, case_id=case_id)
    ]
