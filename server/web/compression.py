"""Pages and JSON gzipped, with the CSRF token masked afresh in every response (BREACH).

BREACH: an attacker who can see the length of a victim's compressed responses (on the same
Wi-Fi, through TLS) and can put a guess into those responses (a query echoed, a name typed into
a shared record) learns a secret in them one character at a time, because a right guess
compresses better. Nearly every page carries the CSRF token in a form, so instead of leaving
pages uncompressed the token never appears twice in the same bytes: each response carries
`mask + (mask XOR secret)` with a fresh random mask, as long as the token itself (128 hex
characters), which this module turns back into the token on the way in, before Litestar's CSRF
check compares it with the cookie. Other secrets (the device keys of `/api/v1/device/key`) only
ever answer a POST, which no other site can make with the user's cookies, so they cannot be
asked for many times with guesses beside them; and a request another site started is answered
uncompressed (below), so the client data in a page cannot be guessed that way either.

Static files are not compressed here: `/assets/` and `/sw.js` are gzipped once per file and
release in server/web/assets.py, and responses that stream (files) pass through untouched.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from litestar.types import Empty
from litestar.utils.scope.state import ScopeState

# Plain ASGI shapes: the body and header rewriting below goes past Litestar's typed events.
Scope = Any  # litestar.types.Scope, indexed freely
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Measured on the visit form (21.8 KB of HTML, bench/offline.py): level 4 takes 0.14 ms of CPU
# and leaves 3 % more bytes than level 9 (0.24 ms); level 1 takes 0.08 ms but sends 12 % more.
GZIP_LEVEL = 4
# Below about one TCP segment gzip saves no round trip and costs its header and CPU.
MINIMUM_BYTES = 1400
UNSAFE_FORMS = (b"application/x-www-form-urlencoded", b"multipart/form-data")
HEADER = b"x-csrftoken"
SAME_SITE = (b"", b"same-origin", b"none")  # none: typed, a bookmark, the home screen icon
TOKEN_CHARS = 128  # Litestar's token: 64 hex characters of secret, 64 of its HMAC
_FORM_TOKEN = re.compile(rb'((?:^|&)_csrf_token=|name="_csrf_token"\r\n\r\n)([0-9a-f]{128})(?=&|\r\n|$)')


def mask_token(token: str) -> str:
    """The token's secret half XORed with a fresh random mask, the mask in front: as long as the
    token, never the same twice."""
    secret = bytes.fromhex(token[: TOKEN_CHARS // 2])
    mask = secrets.token_bytes(len(secret))
    return (mask + bytes(a ^ b for a, b in zip(mask, secret, strict=True))).hex()


def unmask_token(value: str, key: str) -> str:
    """The token a masked value stands for; a value that is already a token (the cookie's, sent
    by the scripts) or is not one of ours comes back as it was, for the CSRF check to judge."""
    if len(value) != TOKEN_CHARS or not _is_hex(value):
        return value
    secret_hex, tail = value[: TOKEN_CHARS // 2], value[TOKEN_CHARS // 2 :]
    if hmac.compare_digest(tail, _token_hash(secret_hex, key)):
        return value  # the plain token
    mask, masked = bytes.fromhex(secret_hex), bytes.fromhex(tail)
    secret = bytes(a ^ b for a, b in zip(mask, masked, strict=True)).hex()
    return secret + _token_hash(secret, key)


def _token_hash(secret_hex: str, key: str) -> str:
    # As litestar.middleware.csrf.generate_csrf_hash: the token's second half.
    return hmac.new(key.encode(), secret_hex.encode(), hashlib.sha256).hexdigest()


def _is_hex(value: str) -> bool:
    return all(char in "0123456789abcdef" for char in value)


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes:
    return next((value for key, value in headers if key.lower() == name), b"")


class CompressionMiddleware:
    """Unmasks the CSRF token of unsafe requests; masks it in pages and JSON; gzips them."""

    def __init__(self, app: ASGIApp, secret: str) -> None:
        self.app = app
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = list(scope["headers"])
        if scope["method"] not in {"GET", "HEAD", "OPTIONS"}:
            self._unmask_header(scope, headers)
            if _header(headers, b"content-type").startswith(UNSAFE_FORMS):
                receive = self._unmasking(receive)
        # A request another site started (a link, a form, a window it opened) is how an attacker
        # makes the victim's browser fetch a page again and again: its answer goes uncompressed,
        # so its length says nothing about what else the page holds (client names next to a
        # search term, say). Browsers without Fetch Metadata are judged by the mask alone.
        gzip_ok = b"gzip" in _header(headers, b"accept-encoding") and _header(headers, b"sec-fetch-site") in SAME_SITE
        await self.app(scope, receive, self._masking(scope, send, gzip_ok))

    def _unmask_header(self, scope: Scope, headers: list[tuple[bytes, bytes]]) -> None:
        sent = _header(headers, HEADER).decode("latin-1")
        token = unmask_token(sent, self.secret)
        if token == sent:
            return
        scope["headers"] = [(key, token.encode() if key.lower() == HEADER else value) for key, value in headers]
        ScopeState.from_scope(scope).headers = Empty  # a Request made earlier kept the old ones

    def _unmasking(self, receive: Receive) -> Receive:
        """The form's body, read whole, with its `_csrf_token` field turned back into the token."""

        async def unmasked() -> Message:
            message = await receive()
            if message["type"] != "http.request":
                return message
            chunks = [message.get("body", b"")]
            while message.get("more_body"):
                message = await receive()
                if message["type"] != "http.request":
                    return message
                chunks.append(message.get("body", b""))
            body = _FORM_TOKEN.sub(
                lambda found: found.group(1) + unmask_token(found.group(2).decode(), self.secret).encode(),
                b"".join(chunks),
            )  # same length: Content-Length stays true
            return {"type": "http.request", "body": body, "more_body": False}

        return unmasked

    def _masking(self, scope: Scope, send: Send, gzip_ok: bool) -> Send:
        start: Message | None = None

        async def masked(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            held, start = start, None
            if message.get("more_body"):  # a stream (a file): as it comes
                await send(held)
                await send(message)
                return
            headers = list(held.get("headers", []))
            body = message.get("body", b"")
            if _is_page_or_json(_header(headers, b"content-type")):
                body = self._masked_body(scope, body)
                if gzip_ok and len(body) >= MINIMUM_BYTES and not _header(headers, b"content-encoding"):
                    body = gzip.compress(body, GZIP_LEVEL, mtime=0)
                    headers = [(key, value) for key, value in headers if key.lower() != b"content-length"]
                    headers += [(b"content-length", str(len(body)).encode()), (b"content-encoding", b"gzip")]
                headers = _vary_on_encoding(headers)
            await send({**held, "headers": headers})
            await send({**message, "body": body})

        return masked

    def _masked_body(self, scope: Scope, body: bytes) -> bytes:
        token = ScopeState.from_scope(scope).csrf_token
        if not isinstance(token, str) or len(token) != TOKEN_CHARS:
            return body
        raw = token.encode()
        # One fresh mask per occurrence: same length, so Content-Length needs no change.
        parts = body.split(raw)
        if len(parts) == 1:
            return body
        out = [parts[0]]
        for part in parts[1:]:
            out += [mask_token(token).encode(), part]
        return b"".join(out)


def _is_page_or_json(content_type: bytes) -> bool:
    media_type = content_type.split(b";")[0].strip().lower()
    return media_type == b"text/html" or media_type.endswith((b"/json", b"+json"))


def _vary_on_encoding(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    vary = _header(headers, b"vary")
    if b"accept-encoding" in vary.lower():
        return headers
    rest = [(key, value) for key, value in headers if key.lower() != b"vary"]
    return [*rest, (b"vary", vary + b", Accept-Encoding" if vary else b"Accept-Encoding")]
