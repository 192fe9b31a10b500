"""Nieuw sinds je laatste bezoek, in the JSON API: per readable document, which fields others
changed since the signed-in person last opened it (``services/last_visit.py`` decides)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.services import last_visit
from app.web.deps import CurrentUser, SessionDep

router = APIRouter()


@router.get("/api/cases/{case_id}/changes")
def list_changes(session: SessionDep, user: CurrentUser, case_id: str) -> list[dict[str, Any]]:
    """``[{"section", "doc_id", "fields": [{"path", "label", "by"}]}]`` for every document of
    the case the person may read; 404 for anyone outside the case."""
    return [
        news.as_json() for news in last_visit.news_for_user(session, user=user, case_id=case_id)
    ]
