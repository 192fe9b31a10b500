"""The organisation administrator's page: which accounts are professionals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.services import accounts
from app.web.deps import CurrentUser, RowInPath, SessionDep
from app.web.templating import render

router = APIRouter()


@router.get("/beheer/accounts", response_class=HTMLResponse)
def accounts_page(
    request: Request, session: SessionDep, user: CurrentUser, gewijzigd: int | None = None
) -> Response:
    return render(
        request,
        "pages/admin_accounts.html",
        {
            "user": user,
            "nav": "admin",
            "accounts": accounts.all_accounts(session, actor=user),
            "changed": gewijzigd,
        },
    )


@router.post("/beheer/accounts/{user_id}/hulpverlener")
def set_professional(
    session: SessionDep,
    user: CurrentUser,
    user_id: RowInPath,
    professional: Annotated[str, Form()] = "",
) -> Response:
    accounts.set_professional(session, actor=user, user_id=user_id, value=professional == "ja")
    return RedirectResponse(
        f"/beheer/accounts?gewijzigd={user_id}#account-{user_id}", status_code=303
    )
