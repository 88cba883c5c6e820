"""The client page as a template, built for the client's own routes and for the other packages
whose forms live on it (release plan, agreement and reviews) when they show it again with errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template

from server.audit.uselog import log_client_read, log_client_reads
from server.casework.attendees import visit_clients
from server.casework.clients import (
    client_detail,
)
from server.casework.planning import client_appointments, client_followups
from server.casework.presence import with_present_names
from server.casework.referrals import referrals_of_client
from server.casework.visits import list_visits
from server.scope import TeamScope
from server.timeutil import local_today

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


@dataclass(frozen=True)
class ClientPage:
    """What a part of the client page from another domain is drawn for."""

    walls: TeamScope
    client: dict[str, Any]
    form: str  # the add-form shown open, with these errors and typed values
    errors: dict[str, Any]
    values: dict[str, Any]


# The parts other domains add to the client page (the path, the release plan, the client's
# reminder links, the services to refer to). They build on casework, so casework does not import
# them: server/wiring.py hands them in. Each returns entries of the page's context.
ClientPagePart = Callable[[ClientPage], Awaitable[dict[str, Any]]]
_PARTS: list[ClientPagePart] = []


def add_client_page_parts(*parts: ClientPagePart) -> None:
    _PARTS.extend(part for part in parts if part not in _PARTS)


async def _other_parts(page: ClientPage) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for part in _PARTS:
        context.update(await part(page))
    return context


async def client_page_template(
    walls: TeamScope,
    client_id: int,
    saved: str = "",
    form: str = "",
    errors: dict | None = None,
    values: dict | None = None,
    status_code: int = 200,
) -> Template:
    """The client page; `form` names the add-form to show open with its errors and typed values."""
    client = await client_detail(walls, client_id)
    await log_client_read(walls, client_id, client["team"], "client_page")
    visits, _total = await list_visits(walls, client_id, limit=30, offset=0)
    await with_present_names(visits)
    # A group visit's note on this page is the other attendees' data too.
    await log_client_reads(walls, [other for other in visit_clients(visits) if other != client_id], "client_page_group")
    followups = await client_followups(walls, client_id)
    appointments = await client_appointments(walls, client_id)
    days_to_release = (client["release_date"] - local_today()).days if client["release_date"] else None
    page = ClientPage(walls, client, form, errors or {}, values or {})
    return Template(
        "pages/client.html",
        status_code=status_code,
        context={
            "client": client,
            "visits": visits,
            "followups": followups,
            "appointments": appointments,
            "referrals": await referrals_of_client(walls, client_id),
            "open_followups": [f for f in followups if f["done_at"] is None],
            "done_followups": [f for f in followups if f["done_at"] is not None],
            "days_to_release": days_to_release,
            "saved": saved,
            "form": form,
            "errors": errors or {},
            "values": values or {},
            **await _other_parts(page),
        },
    )


async def glass_client_page(reading: TeamScope, client_id: int) -> Template:
    """Another team's client opened with break-the-glass: read only, no forms, the reason on top."""
    client = await client_detail(reading, client_id)
    await log_client_read(reading, client_id, client["team"], "client_page")
    visits, _total = await list_visits(reading, client_id, limit=30, offset=0)
    await with_present_names(visits)
    await log_client_reads(
        reading, [other for other in visit_clients(visits) if other != client_id], "client_page_group"
    )
    followups = await client_followups(reading, client_id)
    return Template(
        "pages/client_glass.html",
        context={
            "client": client,
            "visits": visits,
            "reason": reading.glass_reason,
            "appointments": await client_appointments(reading, client_id),
            "open_followups": [f for f in followups if f["done_at"] is None],
        },
    )
