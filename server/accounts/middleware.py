"""The one request layer: request id and metrics, who is logged in, language, CSRF, route checks.

One ASGI middleware instead of four layers (request id, session, Litestar's CSRF, the app-wide
guard): each layer costs every request a wrapper and its own parse of headers and cookies, and
Litestar copies the route handler for each guard it runs. The order is the one the layers had:
the request id first (every log line carries it), the session (revocation is checked on every
request: one prepared query), the language, then for an unsafe request the CSRF token, then
same origin, login and second factor (server/web/guards.py).

Litestar's own middleware (compression, when configured) runs after this layer, nearer the route.
The security headers, the `x-request-id` header and what this layer adds (a new CSRF cookie, a
wipe) are written by a before_send hook (server/web/security_headers.py): that hook also sees
the answers of errors raised here, a 401 to a wiped phone included.
"""

from __future__ import annotations

import time

from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from server.accounts.sessions import cookie_name, is_wiped, resolve_session
from server.i18n import set_language
from server.observability.logs import reset_request_id, set_request_id
from server.observability.metrics import new_request_id, request_done
from server.web import csrf
from server.web.context import language_for
from server.web.guards import RouteCheck
from server.web.security_headers import add_response_headers

# A lead ended the sessions of a lost phone with "wipe": every answer to that phone's old cookie
# asks the browser to delete its caches and storage (IndexedDB: the sealed queue), and says so in
# a header of ours too, for browsers that ignore Clear-Site-Data (static/js/wipe.js does it then).
WIPE_HEADERS = {"Clear-Site-Data": '"cache", "storage"', "X-Rinnalla-Wipe": "1"}
# Static files need neither a session lookup, a language nor a token.
FILE_PREFIXES = ("/static/", "/assets/")


class RequestContextMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, csrf_config: CSRFConfig, route_check: RouteCheck) -> None:
        self.csrf_config = csrf_config
        self.route_check = route_check

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request_id = new_request_id()
        scope["request_id"] = request_id  # type: ignore[typeddict-unknown-key]
        log_token = set_request_id(request_id)
        started = time.perf_counter()
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            if scope["path"].startswith(FILE_PREFIXES):
                scope["user"] = None  # files are public routes; a route that is not stays closed
                self.route_check(ASGIConnection(scope), scope["route_handler"])
            else:
                await self._enter(scope, receive)
            await next_app(scope, receive, send_noting_status)
        except HTTPException as exc:  # refused here (CSRF, login): answered by the app's handlers
            status = exc.status_code
            raise
        finally:
            request_done(scope, status, time.perf_counter() - started)
            reset_request_id(log_token)

    async def _enter(self, scope: Scope, receive: Receive) -> None:
        connection: ASGIConnection = ASGIConnection(scope)
        cookies = connection.cookies
        token = cookies.get(cookie_name(), "")
        user = await resolve_session(token) if token else None
        scope["user"] = user
        set_language(language_for(connection, user))
        if user is None and token and await is_wiped(token):
            scope["session_wiped"] = True  # type: ignore[typeddict-unknown-key]
            add_response_headers(scope, WIPE_HEADERS)
        handler = scope["route_handler"]
        if not csrf.is_excluded(scope["path"], handler.opt):
            await self._check_csrf(connection, receive, cookies.get(self.csrf_config.cookie_name))
        self.route_check(connection, handler)

    async def _check_csrf(self, connection: ASGIConnection, receive: Receive, cookie: str | None) -> None:
        scope = connection.scope
        state = ScopeState.from_scope(scope)
        if scope["method"] in csrf.SAFE_METHODS:  # type: ignore[typeddict-item]
            state.csrf_token = cookie or csrf.new_token(self.csrf_config)
            if cookie is None:  # the first page: the browser gets its token with it
                cookie_header = csrf.token_cookie(self.csrf_config, state.csrf_token).to_header(header="")
                add_response_headers(scope, {"set-cookie": cookie_header})
            return
        state.csrf_token = await csrf.verified_token(self.csrf_config, connection, receive, cookie)
