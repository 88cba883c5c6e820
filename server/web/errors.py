"""Errors as people should meet them: a translated page for browsers, JSON with field errors for the API."""

from __future__ import annotations

import logging
import uuid
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY, HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from server.i18n import N_, set_language
from server.i18n import gettext as _
from server.observability.logs import safe_path
from server.validation import InvalidInput
from server.web.context import language_for

log = logging.getLogger("rinnalla.errors")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_page(request: Request, status_code: int, title: str, message: str) -> Template:
    # Errors raised before the route middleware ran (unknown paths) still get the right language.
    set_language(language_for(request, request.scope.get("user")))
    return Template(
        template_name="pages/error.html",
        context={"status_code": status_code, "title": _(title), "message": _(message)},
        status_code=status_code,
        media_type=MediaType.HTML,
    )


_TEXTS = {
    400: (N_("Something in the request was wrong"), N_("Please go back and try again.")),
    403: (N_("Not allowed"), N_("Your role does not give access to this page.")),
    404: (N_("Not found"), N_("This page does not exist, or it is not visible to your team.")),
    405: (N_("Not allowed"), N_("This address does not accept that kind of request.")),
    413: (N_("Too much data"), N_("The form was too large to be saved.")),
    429: (N_("Too many attempts"), N_("Please wait a moment and try again.")),
}


def http_exception_handler(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    headers = dict(exc.headers or {})
    if _wants_json(request):
        return Response(
            {"status_code": status, "detail": _TEXTS.get(status, (exc.detail,))[0]}, status_code=status, headers=headers
        )
    title, message = _TEXTS.get(status, (N_("Something went wrong"), N_("Please try again.")))
    response = _error_page(request, status, title, message)
    response.headers.update(headers)
    return response


def not_authorized_handler(request: Request, exc: NotAuthorizedException) -> Response:
    if _wants_json(request):
        return Response({"status_code": 401, "detail": "Not logged in"}, status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    login_url = f"/login?next={quote(target, safe='')}" if request.method == "GET" and target != "/" else "/login"
    if request.headers.get("hx-request"):
        # htmx would swap a redirect's page into a fragment: send the whole window instead.
        return Response(content="", status_code=401, headers={"HX-Redirect": login_url})
    return Redirect(path=login_url, status_code=303)


def validation_handler(request: Request, exc: ValidationException) -> Response:
    errors = []
    for item in exc.extra or []:
        if isinstance(item, dict):
            errors.append({"field": item.get("key") or item.get("source") or "", "message": item.get("message", "")})
    if _wants_json(request):
        return Response(
            {"status_code": 422, "detail": "Invalid input", "errors": errors}, status_code=HTTP_422_UNPROCESSABLE_ENTITY
        )
    return _error_page(request, 400, *_TEXTS[400])


def internal_error_handler(request: Request, exc: Exception) -> Response:
    # The id ties what a person reports to the server log; no personal data goes to the log.
    error_id = uuid.uuid4().hex[:12]
    log.exception("unhandled error %s on %s %s", error_id, request.method, safe_path(request.url.path))
    if _wants_json(request):
        return Response(
            {"status_code": 500, "detail": "Internal error", "error_id": error_id},
            status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        )
    response = _error_page(
        request, 500, N_("Something went wrong"), N_("The error has been recorded. Please try again in a moment.")
    )
    response.context["error_id"] = error_id
    return response


_API_DETAIL = {400: "Malformed request body", 415: "Unsupported media type"}


def invalid_input_handler(request: Request, exc: InvalidInput) -> Response:
    """Field errors: JSON for the API; pages that have a form catch InvalidInput themselves."""
    errors = [{"field": name, "message": _(message)} for name, message in exc.errors.items()]
    status = exc.status_code  # 422; 400 for a body that is not JSON, 415 for one not sent as JSON
    if _wants_json(request):
        return Response(
            {"status_code": status, "detail": _API_DETAIL.get(status, "Invalid input"), "errors": errors},
            status_code=status,
        )
    return _error_page(
        request,
        status,
        N_("Something in the form was wrong"),
        "; ".join(f"{e['field']}: {e['message']}" for e in errors),
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    InvalidInput: invalid_input_handler,
    NotAuthorizedException: not_authorized_handler,
    ValidationException: validation_handler,
    HTTPException: http_exception_handler,
    Exception: internal_error_handler,
}
