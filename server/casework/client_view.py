"""The client page as a template, built for the client's own routes and for the other packages
whose forms live on it (release plan, agreement and reviews) when they show it again with errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from server.audit.uselog import log_client_read, log_client_reads
from server.casework.attendees import visit_clients
from server.casework.clients import client_detail, walls_checked_once
from server.casework.page_parts import parts_of
from server.casework.planning import client_appointments, client_followups
from server.casework.presence import with_present_names
from server.casework.visits import client_timeline
from server.scope import TeamScope
from server.timeutil import local_today
from server.validation import InvalidInput
from server.web.forms import form_dict

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)

# Visits on the client page, and per "show older" step. The first page is the 30 the page always
# showed (so its use-log rows are those it always wrote); older ones are a tap away.
TIMELINE_PAGE = 30


async def timeline(walls: TeamScope, client_id: int, offset: int) -> tuple[list[dict], int | None]:
    """A page of the client's visits with who was there, its group attendees' reads logged, and the
    offset of the next older page (None at the oldest)."""
    visits, more = await client_timeline(walls, client_id, TIMELINE_PAGE, offset)
    await with_present_names(visits)
    # A group visit's note on this page is the other attendees' data too.
    await log_client_reads(walls, [other for other in visit_clients(visits) if other != client_id], "client_page_group")
    return visits, (offset + TIMELINE_PAGE if more else None)


@dataclass(frozen=True)
class ClientPage:
    """What a part of the client page from another domain is drawn for (server/casework/page_parts.py)."""

    walls: TeamScope
    client: dict[str, Any]
    form: str  # the add-form shown open, with these errors and typed values
    errors: dict[str, Any]
    values: dict[str, Any]


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
    with walls_checked_once():  # each part below checks the client's wall: one query for them all
        return await _client_page(walls, client_id, saved, form, errors, values, status_code)


async def _client_page(
    walls: TeamScope,
    client_id: int,
    saved: str,
    form: str,
    errors: dict | None,
    values: dict | None,
    status_code: int,
) -> Template:
    client = await client_detail(walls, client_id)
    await log_client_read(walls, client_id, client["team"], "client_page")
    visits, older = await timeline(walls, client_id, 0)
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
            "older_offset": older,
            "timeline_offset": 0,
            "followups": followups,
            "appointments": appointments,
            "open_followups": [f for f in followups if f["done_at"] is None],
            "done_followups": [f for f in followups if f["done_at"] is not None],
            "days_to_release": days_to_release,
            "saved": saved,
            "form": form,
            "errors": errors or {},
            "values": values or {},
            **await parts_of("client", page),
        },
    )


async def glass_client_page(reading: TeamScope, client_id: int) -> Template:
    """Another team's client opened with break-the-glass: read only, no forms, the reason on top."""
    with walls_checked_once():
        client = await client_detail(reading, client_id)
        await log_client_read(reading, client_id, client["team"], "client_page")
        visits, older = await timeline(reading, client_id, 0)
    followups = await client_followups(reading, client_id)
    return Template(
        "pages/client_glass.html",
        context={
            "client": client,
            "visits": visits,
            "older_offset": older,
            "timeline_offset": 0,
            "reason": reading.glass_reason,
            "appointments": await client_appointments(reading, client_id),
            "open_followups": [f for f in followups if f["done_at"] is None],
        },
    )


async def saved_or_page_again(
    request: Request, walls: TeamScope, client_id: int, create, form: str
) -> Template | Redirect:
    """An add-form of the client page (follow-up, appointment, referral): saved, or the page again
    with its errors and what was typed."""
    raw = {**await form_dict(request), "client_id": client_id}
    try:
        await create(walls, raw)
    except InvalidInput as problem:
        return await client_page_template(
            walls, client_id, form=form, errors=problem.errors, values=raw, status_code=422
        )
    return Redirect(f"/clients/{client_id}?saved={form}#{form}s", status_code=303)
