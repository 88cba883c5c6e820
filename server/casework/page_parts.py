"""Parts of casework's pages that other domains draw: the client page's path, release plan,
referrals and reminder links; the services on the home page and the visit form.

Those domains build on casework (their tables point at its clients), so casework does not import
them: server/wiring.py hands their parts in. A part returns entries of the page's context.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Part = Callable[[Any], Awaitable[dict[str, Any]]]
_PARTS: dict[str, list[Part]] = {}


def add_parts(page: str, *parts: Part) -> None:
    """Idempotent: tests make many apps in one process."""
    known = _PARTS.setdefault(page, [])
    known.extend(part for part in parts if part not in known)


async def parts_of(page: str, subject: Any) -> dict[str, Any]:
    """The context the other domains add to `page`, drawn for `subject` (what each page says)."""
    context: dict[str, Any] = {}
    for part in _PARTS.get(page, []):
        context.update(await part(subject))
    return context
