"""Per-request context: who is logged in (from the server-side session) and which language."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server.accounts.sessions import CurrentUser, cookie_name, is_wiped, resolve_session
from server.i18n import choose_language, set_language

LANGUAGE_COOKIE = "lang"
# A lead ended the sessions of a lost phone with "wipe": every answer to that phone's old cookie
# asks the browser to delete its caches and storage (IndexedDB: the sealed queue), and says so in
# a header of ours too, for browsers that ignore Clear-Site-Data (static/js/wipe.js does it then).
WIPE_HEADERS = {"Clear-Site-Data": '"cache", "storage"', "X-Rinnalla-Wipe": "1"}


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
        if user is None and token and await is_wiped(token):
            scope["session_wiped"] = True  # type: ignore[typeddict-unknown-key]
            send = _with_wipe_headers(send)
        await next_app(scope, receive, send)


def _with_wipe_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableScopeHeaders.from_message(message)
            for name, value in WIPE_HEADERS.items():
                headers[name] = value
        await send(message)

    return wrapped
