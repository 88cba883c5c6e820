"""What a request carries, as the app reads it: size limits, strict decoding, refusals that say why.

Every JSON body goes through `json_object` and every form through `form_pairs`; the text in
them is then checked field by field by `Reader.text` (server/validation.py), which
refuses NUL, lone surrogates (`"\\ud800"` in JSON) and U+FFFD, the mark that invalid UTF-8
in a form leaves here: one rule for both, and the form can show the text back safely. What a
URL carries is checked once too, before any route runs (`plausible_path_and_query`).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, NotFoundException

from server.i18n import N_
from server.scope import MAX_ID
from server.validation import UNSTORABLE, InvalidInput, unstorable

# The largest honest body is a visit with 4000 characters of notes (a few kB); the phone's
# queue sends its visits one request each, so the offline sync needs no larger limit.
MAX_BODY_BYTES = 1024 * 1024
# The largest form (a visit with every theme, action and worker ticked) has under 100 fields.
MAX_FORM_FIELDS = 1000


class MalformedBody(InvalidInput):
    """The body is not JSON at all: 400, the request itself is broken."""

    status_code = 400


class UnsupportedBody(InvalidInput):
    """Not sent as JSON: text/plain (a cross-site 'simple' request) never changes anything."""

    status_code = 415


class TooManyFields(HTTPException):
    status_code = 413


class MalformedQuery(HTTPException):
    status_code = 400


async def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object, or a refusal: 415 not JSON, 400 malformed, 422 unusable text."""
    if request.content_type[0] != "application/json":
        raise UnsupportedBody({"body": N_("Send JSON (Content-Type: application/json).")})
    raw = await request.body()  # over MAX_BODY_BYTES: 413 from Litestar
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput({"body": UNSTORABLE}) from None
    try:
        body = msgspec.json.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        body = _lenient_json(text)
    if not isinstance(body, dict):
        raise InvalidInput({"body": N_("Send a JSON object.")})
    refused = {field: UNSTORABLE for field in _unstorable_fields(body)}
    if refused:
        raise InvalidInput(refused)
    return body


def _unstorable_fields(body: dict[str, Any]) -> list[str]:
    """Every string in the body, keys too, is checked here once: no route can store a NUL by
    reading a field the field parsers do not see (a push endpoint, a key of a nested object).
    A loop, not recursion: a deeply nested body must not exhaust the stack."""
    found: list[str] = []
    waiting: list[tuple[str, Any]] = [("", body)]
    while waiting:
        path, value = waiting.pop()
        if isinstance(value, str) and unstorable(value):
            found.append(path or "body")
        elif isinstance(value, dict):
            for key, item in value.items():
                if unstorable(key):  # the name itself cannot be shown back
                    found.append(path or "body")
                else:
                    waiting.append((f"{path}.{key}" if path else key, item))
        elif isinstance(value, list):
            waiting.extend((path, item) for item in value)
    return sorted(set(found))


def _lenient_json(text: str) -> Any:
    """Well-formed JSON that msgspec refuses: a lone surrogate ("\\ud800") or a number out of range
    (1e309). Python's parser keeps them, so the field checks refuse the field (422) by name."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # 10 000 levels deep ends here too, at once
        raise MalformedBody({"body": N_("Not valid JSON.")}) from None


async def form_pairs(request: Request) -> list[tuple[str, Any]]:
    """A form's fields in order; invalid UTF-8 becomes U+FFFD, which Reader.text refuses."""
    if request.content_type[0] != RequestEncodingType.URL_ENCODED:
        form = await request.form()  # multipart: Litestar caps its parts (multipart_form_part_limit)
        return list(form.multi_items())
    body = (await request.body()).decode("utf-8", "replace")
    try:
        return parse_qsl(
            body, keep_blank_values=True, encoding="utf-8", errors="replace", max_num_fields=MAX_FORM_FIELDS
        )
    except ValueError:  # more than MAX_FORM_FIELDS
        raise TooManyFields() from None


async def plausible_path_and_query(request: Request) -> None:
    """The one check of what a URL carries, before any route reads it (a before_request hook).

    Every `{..._id:int}` of a path is a row id: one no database row can have (0, negative, past
    32 bits) is 404, like a row that does not exist, before PostgreSQL refuses an out-of-range
    integer (a 500). A path or query value with NUL or invalid UTF-8 names nothing either: 404 in
    a path, 400 in a query, before it reaches a database query (PostgreSQL refuses NUL: a 500).
    """
    for value in request.path_params.values():
        if isinstance(value, int) and not isinstance(value, bool) and not 1 <= value <= MAX_ID:
            raise NotFoundException()
        if isinstance(value, str) and unstorable(value):
            raise NotFoundException()
    if any(unstorable(key) or unstorable(value) for key, value in request.query_params.multi_items()):
        raise MalformedQuery()
