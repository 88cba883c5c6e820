"""Who may reach a route. Routes are closed by default: `opt={"public": True}` opens one.

Route guards are coroutines: Litestar runs a plain-function guard in a worker thread (and copies the
connection for it). The app-wide checks are no guard at all: `route_checks` runs them in the one
request layer (server/accounts/middleware.py), right after the CSRF check, in the order same
origin, login, second factor; Litestar copies the route handler for every guard it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from server.settings import get_settings


async def requires_login(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    if handler.opt.get("public"):
        return
    if connection.scope.get("user") is None:
        raise NotAuthorizedException()


async def requires_lead(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    user = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException()
    if not user.is_lead:
        raise PermissionDeniedException()


async def requires_admin(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    user = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException()
    if not user.is_admin:
        raise PermissionDeniedException()


async def api_description_visible(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """The OpenAPI description (/schema): for an admin in production, for anyone logged in while
    developing and testing; everyone else gets the same 404 as for an address that does not
    exist, so a scan learns nothing of the API (security.md §5 #46)."""
    user = connection.scope.get("user")
    allowed = user is not None and (user.is_admin or not get_settings().is_production)
    if not allowed:
        raise NotFoundException()


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def requires_same_origin(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """A change sent from another site is refused, even with a valid CSRF token (defence in depth
    beside the token and SameSite=Lax): the browser's Origin, or failing that Sec-Fetch-Site,
    must name this site. Requests without either (command-line clients) rely on the token."""
    _same_origin(connection)


def _same_origin(connection: ASGIConnection) -> None:
    if connection.scope.get("method") not in UNSAFE_METHODS:  # a websocket scope has no method
        return
    origin = connection.headers.get("origin")
    if origin is None:
        if connection.headers.get("sec-fetch-site") == "cross-site":
            raise PermissionDeniedException()
        return
    parts = urlsplit(origin)
    own = urlsplit(get_settings().base_url)
    if parts.netloc.lower() not in {connection.headers.get("host", "").lower(), own.netloc.lower()}:
        raise PermissionDeniedException()


RouteCheck = Callable[[ASGIConnection, BaseRouteHandler], None]


def route_checks(*after_login: RouteCheck) -> RouteCheck:
    """Every route's checks in one call: same origin for changes, then login, then the checks the
    app factory adds for a logged-in user (the second factor a role needs)."""

    def check(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
        _same_origin(connection)
        if handler.opt.get("public"):
            return
        if connection.scope.get("user") is None:
            raise NotAuthorizedException()
        for after in after_login:
            after(connection, handler)

    return check
