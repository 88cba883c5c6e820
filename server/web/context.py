"""Per-request context: who is logged in (from the server-side session) and which language."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from server.accounts.sessions import CurrentUser, cookie_name, resolve_session
from server.i18n import choose_language, set_language

LANGUAGE_COOKIE = "lang"


def language_for(connection: ASGIConnection, user: CurrentUser | None) -> str:
    return choose_language(
        user.language if user else None,
        connection.cookies.get(LANGUAGE_COOKIE),
        connection.headers.get("accept-language", ""),
    )


class RequestContextMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)
    # Static files need neither a session lookup nor a language.
    should_bypass_for_scope = staticmethod(lambda scope: scope["path"].startswith(("/static/", "/assets/")))

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        connection: ASGIConnection = ASGIConnection(scope)
        token = connection.cookies.get(cookie_name(), "")
        user = await resolve_session(token) if token else None
        scope["user"] = user
        set_language(language_for(connection, user))
        await next_app(scope, receive, send)
