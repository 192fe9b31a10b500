"""Confirmation before a destructive action, with JavaScript and without it.

A destructive form posts ``bevestigd=ja`` only once the person has said yes. With JavaScript,
``app/static/eenplan.js`` asks in a dialog (the form's ``data-confirm`` text) and adds the
field; without it, the first post answers with a confirmation page whose form posts again,
confirmed. The server never acts on an unconfirmed post, so no route depends on the script.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.models import User
from app.web.templating import render

CONFIRMED = "ja"
FIELD = "bevestigd"


def is_confirmed(value: str) -> bool:
    return value == CONFIRMED


@dataclass(frozen=True)
class Confirmation:
    """What the confirmation page asks, what follows, and where 'no' leads."""

    title: str  # 'Toestemming intrekken?'
    question: str  # 'Weet je zeker dat je … ?'
    consequence: str  # what will happen, in plain words
    button: str  # 'Ja, intrekken'
    action: str  # where the confirmed form posts
    back: str  # where 'Nee, ga terug' leads
    fields: dict[str, str] = field(default_factory=dict)  # the original form's fields


def ask(request: Request, *, user: User, confirmation: Confirmation) -> HTMLResponse:
    """The confirmation page (for a browser without JavaScript, or a post that skipped it)."""
    return render(
        request,
        "pages/confirm.html",
        {"user": user, "confirmation": confirmation, "field_name": FIELD, "yes": CONFIRMED},
    )
