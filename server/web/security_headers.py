"""Security headers and the request id on every response, errors and static files included."""

from __future__ import annotations

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


# Built once: every response gets these, replacing any value a route set.
_ALWAYS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
_REPLACED = frozenset(name for name, _value in (*_ALWAYS, _HSTS))
_REFERRER = (b"referrer-policy", b"same-origin")
_NO_STORE = (b"cache-control", b"no-store")


def _is_public_file(scope: Scope, status: int) -> bool:
    # Styles, scripts and icons hold nothing of anyone: the browser may keep them (assets say
    # for how long). Every other answer may carry client data, an error page or a 404 included.
    return scope.get("path", "").startswith(("/static/", "/assets/")) and status in (200, 304)


def add_response_headers(scope: Scope, headers: dict[str, str]) -> None:
    """Headers for this request's answer, whichever answer it is (the route's, or an error's):
    Set-Cookie is added, any other name replaces what the route set."""
    waiting = scope.setdefault("response_headers", [])  # type: ignore[typeddict-item]
    waiting.extend((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items())


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A before_send hook: it sees every response, also those of errors raised before a route."""
    if message["type"] != "http.response.start":
        return
    headers: list[tuple[bytes, bytes]] = []
    has_referrer = has_cache_control = False
    added: list[tuple[bytes, bytes]] = scope.get("response_headers", [])  # type: ignore[assignment]
    replaced = _REPLACED.union(name for name, _value in added if name != b"set-cookie") if added else _REPLACED
    for name, value in message.get("headers", ()):
        name = name.lower()
        if name in replaced:
            continue
        # A route may ask for less (a client's own link page: no-referrer, so the token in its
        # path never leaves with a link the client follows); the default never overwrites it.
        has_referrer = has_referrer or name == b"referrer-policy"
        has_cache_control = has_cache_control or name == b"cache-control"
        headers.append((name, value))
    headers.extend(_ALWAYS)
    headers.extend(added)
    if not has_referrer:
        headers.append(_REFERRER)
    if get_settings().is_https:
        headers.append(_HSTS)
    # Pages, API answers and the API description: never kept by the browser or a proxy, unless
    # the route said otherwise (the service worker and manifest: no-cache, assets: immutable).
    if not has_cache_control and not _is_public_file(scope, message["status"]):
        headers.append(_NO_STORE)
    # The request's id (server/accounts/middleware.py), so a person's report can be matched to the log.
    request_id = scope.get("request_id")
    if isinstance(request_id, str):
        headers.append((b"x-request-id", request_id.encode()))
    message["headers"] = headers
