"""Who may reach a route. Routes are closed by default: `opt={"public": True}` opens one."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from server.settings import get_settings


def requires_login(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    if handler.opt.get("public"):
        return
    if connection.scope.get("user") is None:
        raise NotAuthorizedException()


def requires_lead(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    user = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException()
    if not user.is_lead:
        raise PermissionDeniedException()


def requires_admin(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    user = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException()
    if not user.is_admin:
        raise PermissionDeniedException()


def api_description_visible(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """The OpenAPI description (/schema): for an admin in production, for anyone logged in while
    developing and testing; everyone else gets the same 404 as for an address that does not
    exist, so a scan learns nothing of the API (security.md §5 #46)."""
    user = connection.scope.get("user")
    allowed = user is not None and (user.is_admin or not get_settings().is_production)
    if not allowed:
        raise NotFoundException()
