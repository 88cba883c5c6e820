"""CSRF: a double-submit token on every unsafe request, checked in the one request layer.

Litestar's token format and rules (an HMAC-signed random token in a cookie, sent back in the
`x-csrftoken` header or a form's `_csrf_token` field), run inside server/accounts/middleware.py
rather than as a middleware layer of its own: each ASGI layer costs every request a wrapper, a
Request object and its own parse of the cookies and headers.
"""

from __future__ import annotations

from hmac import compare_digest
from typing import Any

from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection, Request
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.middleware.csrf import CSRF_SECRET_LENGTH, generate_csrf_hash, generate_csrf_token
from litestar.types import Receive

from server.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = frozenset({RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART})
# Files and the worker script carry no form: no CSRF cookie on responses that caches share.
EXCLUDED_PREFIXES = (
    "/assets/",
    "/static/",
    "/sw.js",
    "/sw.json",
    "/manifest.webmanifest",
    "/metrics",
    "/healthz",
    "/readyz",
)


def csrf_config(settings: Settings) -> CSRFConfig:
    # __Host- on https, like the session cookie: no subdomain can set or shadow the token.
    return CSRFConfig(
        secret=settings.secret_key,
        cookie_secure=settings.is_https,
        cookie_name="__Host-csrftoken" if settings.is_https else "csrftoken",
        cookie_samesite="lax",
        cookie_httponly=False,
        exclude=list(EXCLUDED_PREFIXES),
    )


def is_excluded(path: str, opt: dict[str, Any]) -> bool:
    return path.startswith(EXCLUDED_PREFIXES) or bool(opt.get("exclude_from_csrf"))


def new_token(config: CSRFConfig) -> str:
    return generate_csrf_token(config.secret)


def token_cookie(config: CSRFConfig, token: str) -> Cookie:
    return Cookie(
        key=config.cookie_name,
        value=token,
        path=config.cookie_path,
        domain=config.cookie_domain,
        secure=config.cookie_secure,
        httponly=config.cookie_httponly,
        samesite=config.cookie_samesite,
    )


async def verified_token(config: CSRFConfig, connection: ASGIConnection, receive: Receive, cookie: str | None) -> str:
    """The token an unsafe request sent, when it matches the cookie; else 403."""
    sent: Any = connection.headers.get(config.header_name)
    if not sent:
        request: Request = Request(connection.scope, receive)
        if request.content_type[0] in FORM_TYPES:
            sent = (await request.form()).get("_csrf_token")  # the form stays parsed for the handler
    if not isinstance(sent, str) or cookie is None or not _tokens_match(config.secret, sent, cookie):
        raise PermissionDeniedException("CSRF token verification failed")
    return sent


def _secret_of(secret: str, token: str) -> str | None:
    if len(token) < CSRF_SECRET_LENGTH + 1:
        return None
    token_secret, signature = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
    return token_secret if compare_digest(signature, generate_csrf_hash(token=token_secret, secret=secret)) else None


def _tokens_match(secret: str, sent: str, cookie: str) -> bool:
    if sent == cookie:  # what scripts send: the cookie's own value, one signature to check
        return _secret_of(secret, sent) is not None
    sent_secret, cookie_secret = _secret_of(secret, sent), _secret_of(secret, cookie)
    if sent_secret is None or cookie_secret is None:
        return False
    return compare_digest(sent_secret, cookie_secret)
