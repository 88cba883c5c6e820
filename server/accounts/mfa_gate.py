"""Roles in MFA_REQUIRED_ROLES set up a second factor before anything else works.

After a password login such a user has a session, but every route except the set-up page, the
login, logout and language routes (and public ones) answers: a redirect to the set-up page for
a browser, 403 JSON for the API. The session becomes a full one the moment the factor is on.
"""

from __future__ import annotations

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect

from server.accounts.second_factor import required_for

SETUP_PATH = "/settings/mfa"
# Routes a user may reach before their second factor is set up: opt={"before_second_factor": True}.
ALLOWED = "before_second_factor"


class SecondFactorRequired(HTTPException):
    status_code = 403
    detail = "Your role needs a second factor: set it up at /settings/mfa first"


def needs_second_factor(user) -> bool:
    return user is not None and not user.has_second_factor and required_for(user.role)


def requires_second_factor(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    if handler.opt.get("public") or handler.opt.get(ALLOWED):
        return
    if needs_second_factor(connection.scope.get("user")):
        raise SecondFactorRequired()


def gate_answer(request: Request, detail: str, path: str) -> Response:
    """What a gate of the login (this one, the password change) answers: the API a 403 naming
    the page to visit, htmx a redirect of the whole window, a browser a plain redirect."""
    if request.url.path.startswith("/api/"):
        return Response({"status_code": 403, "detail": detail, "setup": path}, status_code=403)
    if request.headers.get("hx-request"):
        # htmx would swap the page into a fragment: send the whole window there.
        return Response(content="", status_code=403, headers={"HX-Redirect": path})
    return Redirect(path=path, status_code=303)


def second_factor_required_handler(request: Request, exc: SecondFactorRequired) -> Response:
    return gate_answer(request, exc.detail, SETUP_PATH)
