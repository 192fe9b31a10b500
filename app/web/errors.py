"""Errors as people see them: JSON under ``/api/``, a Dutch page (or a redirect) elsewhere.

``error_answer`` is the one place that chooses between the two; the handlers below only say
which status code and message belong to which exception. No answer shows a stack trace.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.services.errors import ServiceError
from app.web.deps import NeedsTwoFactor, NotSignedIn, get_settings_dep
from app.web.headers import new_nonce, security_headers
from app.web.templating import render

log = logging.getLogger(__name__)

NOT_SIGNED_IN = "Je bent niet ingelogd."
TWO_FACTOR_FIRST = (
    "Stel eerst inloggen in twee stappen in. Dat doe je op /account/tweestapsverificatie."
)
HTTP_MESSAGES = {
    404: "Deze pagina bestaat niet, of je hebt er geen toegang toe.",
    405: "Dit kan zo niet. Ga terug en probeer het opnieuw.",
}
SOMETHING_WENT_WRONG = "Er ging iets mis. Probeer het opnieuw."
INVALID_REQUEST = "Er ontbreekt iets of er klopt iets niet in wat je stuurde."
UNEXPECTED = (
    "Er ging iets mis aan onze kant. Je gegevens zijn niet verloren. Probeer het zo opnieuw."
)


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_answer(
    request: Request,
    status_code: int,
    message: str,
    *,
    fields: dict[str, str] | None = None,
    page: Response | None = None,
) -> Response:
    """``{"detail": message, "fields": …}`` for the API; otherwise ``page``, or by default
    the error page with ``message``."""
    if wants_json(request):
        body: dict[str, object] = {"detail": message}
        if fields:
            body["fields"] = fields
        return JSONResponse(body, status_code=status_code)
    if page is not None:
        return page
    return render(
        request, "pages/error.html", {"message": message, "user": None}, status_code=status_code
    )


async def _not_signed_in(request: Request, _exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    sign_in = RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    return error_answer(request, 401, NOT_SIGNED_IN, page=sign_in)


async def _needs_two_factor(request: Request, _exc: Exception) -> Response:
    set_up = RedirectResponse("/account/tweestapsverificatie", status_code=303)
    return error_answer(request, 403, TWO_FACTOR_FIRST, page=set_up)


async def _service_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    return error_answer(request, exc.status_code, exc.message, fields=exc.field_errors)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = HTTP_MESSAGES.get(exc.status_code, SOMETHING_WENT_WRONG)
    return error_answer(request, exc.status_code, message)


async def _invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    fields = {".".join(str(p) for p in e["loc"][1:]): e["msg"] for e in exc.errors()}
    return error_answer(request, 422, INVALID_REQUEST, fields=fields)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s", request.url.path, exc_info=exc)
    # This answer comes from Starlette's outermost error layer, outside every middleware, so
    # it sets the security headers itself and renders no template.
    nonce = getattr(request.state, "csp_nonce", None) or new_nonce()
    settings = get_settings_dep(request)
    page = HTMLResponse(
        f"<!doctype html><html lang='nl'><title>Fout</title><p>{UNEXPECTED}</p></html>",
        status_code=500,
        headers=security_headers(request.url.path, nonce, settings=settings),
    )
    return error_answer(request, 500, UNEXPECTED, page=page)


def add_error_handlers(app: FastAPI) -> None:
    """Answer every error a person can cause, and every unexpected one, in Dutch."""
    app.add_exception_handler(NotSignedIn, _not_signed_in)
    app.add_exception_handler(NeedsTwoFactor, _needs_two_factor)
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(Exception, _unexpected)
