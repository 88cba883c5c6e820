"""The language of a request: the user's own, else the cookie, else the browser's."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection

from server.i18n import choose_language

LANGUAGE_COOKIE = "lang"


def language_for(connection: ASGIConnection, user: Any | None) -> str:
    """`user` is whoever the session middleware put in the scope (anything with `language`)."""
    return choose_language(
        user.language if user else None,
        connection.cookies.get(LANGUAGE_COOKIE),
        connection.headers.get("accept-language", ""),
    )
