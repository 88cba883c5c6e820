"""The casework JSON API under /api/v1: session cookie + x-csrftoken header, the same team walls.

Bad input answers 422 with `{"detail", "errors": [{"field", "message"}]}` and stores nothing.
Lists are `{"items": [...], "total", "limit", "offset"}`.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, patch, post
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.params import FromPath, FromQuery

from server.audit.glass import reading_walls
from server.audit.uselog import access_log_rows, log_client_read, log_client_reads
from server.casework import calendar
from server.casework.attendees import visit_clients
from server.casework.clients import client_detail, create_client, list_clients, require_client, update_client
from server.casework.planning import (
    FOLLOWUP_COLUMNS,
    create_appointment,
    create_followup,
    list_appointments,
    list_followups,
    public_followup,
    set_followup_done,
)
from server.casework.tables import FollowUp
from server.casework.versions import StaleVersion, conflict_response, read_version
from server.casework.visits import list_visits, read_visit, record_visit, visit_detail
from server.i18n import N_
from server.observability import metrics
from server.scope import Walls
from server.validation import InvalidInput, Reader
from server.web.guards import requires_lead
from server.web.limits import json_object

MAX_PAGE = 200


def page(items: list, total: int, limit: int, offset: int) -> dict[str, Any]:
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def paging(limit: int, offset: int) -> tuple[int, int]:
    reader = Reader({"limit": limit, "offset": offset})
    clean_limit = reader.integer("limit", 1, MAX_PAGE, 50) or 50
    clean_offset = reader.integer("offset", 0, 10**9, 0) or 0
    reader.done()
    return clean_limit, clean_offset


def _client_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "pseudonym": row["pseudonym"],
        "legal_name": row["legal_name"],
        "birth_year": row["birth_year"],
        "phone": row["phone"],
        "themes": row["themes"],
        "status": row["status"],
        "started_on": row["started_on"],
        "status_changed_on": row["status_changed_on"],
        "came_from": row["came_from"],
        "institution": row["institution"],
        "release_date": row["release_date"],
        "release_type": row["release_type"] or None,
        "pair_id": row["pair"],
        "team_id": row["team"],
        "consent_data_at": row["consent_data_at"],
        "consent_data_by": row["consent_data_by"],
        "consent_reminders_at": row["consent_reminders_at"],
        "consent_reminders_by": row["consent_reminders_by"],
        "version": row["version"],
    }


def _client_summary(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "pseudonym": row["pseudonym"],
        "status": row["status"],
        "themes": row["themes"],
        "release_date": row["release_date"],
        "pair_id": row["pair"],
    }


@post("/api/v1/clients", status_code=201)
async def api_create_client(request: Request, walls: Walls) -> Response:
    client_id = await create_client(walls, await json_object(request))
    row = await client_detail(walls, client_id)
    return Response(_client_json(row), status_code=201)


@get("/api/v1/clients")
async def api_list_clients(
    walls: Walls,
    theme: FromQuery[str] = "",
    status: FromQuery[str] = "",
    limit: FromQuery[int] = 50,
    offset: FromQuery[int] = 0,
) -> dict[str, Any]:
    limit, offset = paging(limit, offset)
    rows, total = await list_clients(walls, theme=theme, status=status, limit=limit, offset=offset)
    await log_client_reads(walls, [row["id"] for row in rows], "api_clients")
    return page([_client_summary(r) for r in rows], total, limit, offset)


@post("/api/v1/clients/search", status_code=200)
async def api_search_clients(request: Request, walls: Walls) -> dict[str, Any]:
    """Search by pseudonym in the body: a name never goes into a URL (or a proxy's log)."""
    body = await json_object(request)
    reader = Reader(body)
    query = reader.text("q", 80)
    reader.done()
    limit, offset = paging(body.get("limit", 50), body.get("offset", 0))
    rows, total = await list_clients(walls, query=query, limit=limit, offset=offset)
    await log_client_reads(walls, [row["id"] for row in rows], "api_client_search", action="search")
    return page([_client_summary(r) for r in rows], total, limit, offset)


@get("/api/v1/clients/{client_id:int}")
async def api_get_client(walls: Walls, client_id: FromPath[int]) -> dict[str, Any]:
    reading = await reading_walls(walls, client_id, "api_client")  # own team, or break-the-glass
    row = await client_detail(reading, client_id)
    await log_client_read(reading, client_id, row["team"], "api_client")
    return _client_json(row)


@patch("/api/v1/clients/{client_id:int}")
async def api_update_client(request: Request, walls: Walls, client_id: FromPath[int]) -> Response:
    """Change the fields sent. `version` (from the GET) is required: when someone else saved since,
    the answer is 409 with the current record under `current`, and nothing is written."""
    body = await json_object(request)
    try:
        await update_client(walls, client_id, body)
    except StaleVersion:
        row = await client_detail(walls, client_id)
        await log_client_read(walls, client_id, row["team"], "api_client_conflict")
        return conflict_response(_client_json(row))
    row = await client_detail(walls, client_id)
    return Response(_client_json(row))


@post("/api/v1/visits")
async def api_create_visit(request: Request, walls: Walls) -> Response:
    # A phone's queue names the user each waiting visit belongs to: if someone else is logged in
    # on that phone now, the visit waits for its own user instead of being stored as theirs.
    owner = request.headers.get("x-rinnalla-user")
    if owner is not None and owner != str(walls.user.id):
        raise NotAuthorizedException()
    visit, created = await record_visit(walls, read_visit(await json_object(request), require_id=True))
    metrics.visit_received(created)
    return Response(visit, status_code=201 if created else 200)


@get("/api/v1/visits")
async def api_list_visits(
    walls: Walls, client_id: FromQuery[int | None] = None, limit: FromQuery[int] = 50, offset: FromQuery[int] = 0
) -> dict[str, Any]:
    limit, offset = paging(limit, offset)
    if client_id is not None:  # one client's record: own team, break-the-glass, or an admin's reason
        walls = await reading_walls(walls, client_id, "api_visits")
    items, total = await list_visits(walls, client_id, limit, offset)
    await log_client_reads(walls, visit_clients(items), "api_visits")
    return page(items, total, limit, offset)


@get("/api/v1/visits/{visit_id:str}")
async def api_get_visit(walls: Walls, visit_id: FromPath[str]) -> dict[str, Any]:
    try:
        key = uuid.UUID(visit_id)
    except ValueError:
        raise NotFoundException() from None
    visit = await visit_detail(walls, key)
    if visit["client_id"] is not None:  # part of a client's record: an admin outside the team needs a reason
        walls = await reading_walls(walls, visit["client_id"], "api_visit")
    await log_client_reads(walls, visit_clients([visit]), "api_visit")
    return visit


@post("/api/v1/followups", status_code=201)
async def api_create_followup(request: Request, walls: Walls) -> dict[str, Any]:
    return await create_followup(walls, await json_object(request))


@get("/api/v1/followups")
async def api_list_followups(
    walls: Walls,
    client_id: FromQuery[int | None] = None,
    done: FromQuery[bool | None] = None,
    limit: FromQuery[int] = 50,
    offset: FromQuery[int] = 0,
) -> dict[str, Any]:
    limit, offset = paging(limit, offset)
    if client_id is not None:
        walls = await reading_walls(walls, client_id, "api_followups")
    items, total = await list_followups(walls, client_id, done, limit, offset)
    await log_client_reads(walls, [item["client_id"] for item in items], "api_followups")
    return page(items, total, limit, offset)


@get("/api/v1/appointments")
async def api_list_appointments(
    walls: Walls, client_id: FromQuery[int | None] = None, limit: FromQuery[int] = 50, offset: FromQuery[int] = 0
) -> dict[str, Any]:
    limit, offset = paging(limit, offset)
    if client_id is not None:
        walls = await reading_walls(walls, client_id, "api_appointments")
    items, total = await list_appointments(walls, client_id, limit, offset)
    await log_client_reads(walls, [item["client_id"] for item in items], "api_appointments")
    return page(items, total, limit, offset)


@patch("/api/v1/followups/{followup_id:int}")
async def api_update_followup(request: Request, walls: Walls, followup_id: FromPath[int]) -> Response:
    """Tick done or undone; with `version`, a stale one answers 409 with the current follow-up."""
    body = await json_object(request)
    if not isinstance(body.get("done"), bool):
        raise InvalidInput({"done": N_("Must be true or false.")})
    version = read_version(body, required=False)
    try:
        return Response(await set_followup_done(walls, followup_id, body["done"], version))
    except StaleVersion:
        current = await walls.get(FollowUp, followup_id, *FOLLOWUP_COLUMNS)
        await log_client_reads(walls, [current["client"]], "api_followup_conflict")
        return conflict_response(public_followup(current))


@post("/api/v1/appointments", status_code=201)
async def api_create_appointment(request: Request, walls: Walls) -> dict[str, Any]:
    return await create_appointment(walls, await json_object(request))


@get("/api/v1/appointments/{file_name:str}")
async def api_appointment_ics(walls: Walls, file_name: FromPath[str]) -> Response:
    """`/api/v1/appointments/{id}.ics` (Litestar path parameters are whole segments)."""
    return await calendar.appointment_file(walls, file_name)


@get("/api/v1/clients/{client_id:int}/access-log", guards=[requires_lead])
async def api_access_log(
    walls: Walls, client_id: FromPath[int], limit: FromQuery[int] = 100, offset: FromQuery[int] = 0
) -> dict[str, Any]:
    limit, offset = paging(limit, offset)
    client = await require_client(walls, client_id)
    rows, total = await access_log_rows(client["id"], limit, offset)
    return page(rows, total, limit, offset)


ROUTES = [
    api_create_client,
    api_list_clients,
    api_search_clients,
    api_get_client,
    api_update_client,
    api_create_visit,
    api_list_visits,
    api_get_visit,
    api_create_followup,
    api_list_followups,
    api_update_followup,
    api_create_appointment,
    api_list_appointments,
    api_appointment_ics,
    api_access_log,
]
