"""Plain HTML forms as dicts for the shared validators."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request
from litestar.response import Redirect

from server.casework.validation import InvalidInput

# Checkbox groups: always a list, even with one box ticked.
LIST_FIELDS = frozenset({"themes", "actions", "workers"})


async def form_dict(request: Request) -> dict[str, Any]:
    form = await request.form()
    values: dict[str, Any] = {}
    for key in dict.fromkeys(form.keys()):
        if key == "_csrf_token":
            continue
        items = form.getall(key)
        values[key] = items if key in LIST_FIELDS or len(items) > 1 else items[0]
    return values


async def save_or_show(request: Request, save: Callable[[dict[str, Any]], Awaitable[Any]],
                       show: Callable[[dict[str, str], dict[str, Any]], Awaitable[Any]], done: str) -> Any:
    """A plain form post: saved, then 303 to `done`; or the page again with the field errors (422)
    and what was typed, so nothing is lost."""
    raw = await form_dict(request)
    try:
        await save(raw)
    except InvalidInput as problem:
        return await show(problem.errors, raw)
    return Redirect(done, status_code=303)
