"""Plain HTML forms as dicts for the shared validators."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request
from litestar.response import Redirect

from server.validation import InvalidInput
from server.web.limits import form_pairs

# Checkbox groups: always a list, even with one box ticked.
LIST_FIELDS = frozenset({"themes", "actions", "workers", "client_ids"})


async def form_dict(request: Request) -> dict[str, Any]:
    grouped: dict[str, list[Any]] = {}
    for key, value in await form_pairs(request):
        if key != "_csrf_token":
            grouped.setdefault(key, []).append(value)
    return {key: items if key in LIST_FIELDS or len(items) > 1 else items[0] for key, items in grouped.items()}


async def save_or_show(
    request: Request,
    save: Callable[[dict[str, Any]], Awaitable[Any]],
    show: Callable[[dict[str, str], dict[str, Any]], Awaitable[Any]],
    done: str,
) -> Any:
    """A plain form post: saved, then 303 to `done`; or the page again with the field errors (422)
    and what was typed, so nothing is lost."""
    raw = await form_dict(request)
    try:
        await save(raw)
    except InvalidInput as problem:
        return await show(problem.errors, raw)
    return Redirect(done, status_code=303)
