"""Security headers on every response, errors and static files included (a before_send hook)."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from server.settings import get_settings

# No inline scripts, no eval: htmx is configured through a <meta> tag (allowEval false,
# includeIndicatorStyles false), and every script is a file under /static.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _is_public_file(scope: Scope, status: int) -> bool:
    # Styles, scripts and icons hold nothing of anyone: the browser may keep them (assets say
    # for how long). Every other answer may carry client data, an error page or a 404 included.
    return scope.get("path", "").startswith(("/static/", "/assets/")) and status in (200, 304)


async def add_security_headers(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    # A route may ask for less (a client's own link page: no-referrer, so the token in its path
    # never leaves with a link the client follows); the default never overwrites it.
    if "referrer-policy" not in headers:
        headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if get_settings().is_https:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    # Pages, API answers and the API description: never kept by the browser or a proxy, unless
    # the route said otherwise (the service worker and manifest: no-cache, assets: immutable).
    if "cache-control" not in headers and not _is_public_file(scope, message["status"]):
        headers["Cache-Control"] = "no-store"
