"""A temporary password must be changed first (the page itself: server/accounts/password_routes.py).

A lead who adds a member with a temporary password (and `rinnalla user add` when it generates one)
has read that password, so it opens nothing but this page (`password_change_due`): every other
route answers a redirect to that page (a browser), or 403 naming this page (the API), until the user has
set a password only they know. Changing the password ends the user's other sessions: a phone
logged in with the old password has to log in again.
"""

from __future__ import annotations

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException
from litestar.handlers.base import BaseRouteHandler

from server.accounts.mfa_gate import gate_answer

PASSWORD_PATH = "/settings/password"
# Routes a user with a temporary password may still reach (besides public ones).
ALLOWED = "before_password_change"


class PasswordChangeRequired(HTTPException):
    status_code = 403
    detail = "Your password is a temporary one: set your own at /settings/password first"


def requires_own_password(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    if handler.opt.get("public") or handler.opt.get(ALLOWED):
        return
    user = connection.scope.get("user")
    if user is not None and user.password_change_due:
        raise PasswordChangeRequired()


def password_change_required_handler(request: Request, exc: PasswordChangeRequired) -> Response:
    return gate_answer(request, exc.detail, PASSWORD_PATH)
