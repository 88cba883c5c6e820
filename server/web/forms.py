"""Plain HTML forms as dicts for the shared validators."""

from __future__ import annotations

from typing import Any

from litestar import Request

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
