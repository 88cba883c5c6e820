"""The client page as a template, built for the client's own routes and for the other packages
whose forms live on it (release plan, agreement and reviews) when they show it again with errors."""

from __future__ import annotations

from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template

from server.audit.uselog import log_client_read, log_client_reads
from server.casework.attendees import visit_clients
from server.casework.clients import client_detail, walls_checked_once
from server.casework.planning import client_appointments, client_followups
from server.casework.presence import with_present_names
from server.casework.visits import client_timeline
from server.pathway.sections import path_section
from server.push.links import client_links
from server.release.plan import page_section as release_plan_section
from server.scope import TeamScope
from server.services.directory import service_choices
from server.services.referrals import referrals_of_client
from server.timeutil import local_today

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
            "referrals": await referrals_of_client(walls, client_id),
            "service_choices": await service_choices(),
            "reminder_links": await client_links(walls, client_id),
            "open_followups": [f for f in followups if f["done_at"] is None],
            "done_followups": [f for f in followups if f["done_at"] is not None],
            "days_to_release": days_to_release,
            "saved": saved,
            "form": form,
            "errors": errors or {},
            "values": values or {},
            "path": await path_section(walls, client_id, form, errors, values),
            **await release_plan_section(client, *((errors, values) if form == "release_plan" else ())),
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
