"""Opening a client's link from a request: the pages behind `/r/` (reminders here, the client's
path in server/pathway) all start from it."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import NotFoundException, TooManyRequestsException

from server.i18n import set_language
from server.push import links
from server.web.client_address import client_address

PUBLIC = {"public": True}
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


async def link_of_request(request: Request, token: str, ended_too: bool = False) -> dict[str, Any]:
    try:
        link = await links.open_link(token, client_address(request))
    except links.TooManyGuesses as wait:
        raise TooManyRequestsException(headers={"Retry-After": str(wait.wait_seconds)}) from None
    if link is None or (link["ended"] and not ended_too):
        raise NotFoundException()
    set_language(link["language"])
    return link
