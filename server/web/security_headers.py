"""Security headers on every response, errors and static files included (a before_send hook)."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from server.settings import get_settings

# No inline scripts, no eval: htmx is configured through a <meta> tag (allowEval false,
# includeIndicatorStyles false), and every script is a file under /static.
CONTENT_SECURITY_POLICY = "; ".join([
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
])


def _is_private_page(scope: Scope, headers: MutableScopeHeaders) -> bool:
    path = scope.get("path", "")
    content_type = headers.get("content-type", "")
    return not path.startswith(("/static/", "/assets/")) and (content_type.startswith("text/html") or path.startswith("/api/"))


async def add_security_headers(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if get_settings().is_https:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    # Pages and API answers carry personal data: never kept by the browser or a proxy.
    if _is_private_page(scope, headers) and "cache-control" not in headers:
        headers["Cache-Control"] = "no-store"
