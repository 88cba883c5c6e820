"""HTML pages for clients: caseload, search, new and edit forms, the client page, access log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest, HTMXTemplate
from litestar.response import Redirect, Template

from server.services.directory import service_choices
from server.services.referrals import create_referral, referrals_of_client, set_referral_status
from server.accounts.tables import Pair
from server.audit.uselog import access_log_rows, log_client_read, log_client_reads
from server.casework.clients import (
    CAME_FROM, PAGE_SIZE, RELEASE_TYPES, STATUSES, client_detail, create_client, list_clients,
    update_client,
)
from server.casework.planning import client_appointments, client_followups, create_appointment, create_followup
from server.casework.tables import THEMES
from server.push.links import client_links
from server.casework.validation import InvalidInput, search_text
from server.casework.visits import list_visits
from server.audit.glass import ReasonNeeded, reading_walls
from server.audit.routes import admin_reason_page
from server.scope import TeamScope, Walls
from server.timeutil import local_today
from server.web.forms import form_dict
from server.web.guards import requires_lead

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


@dataclass
class SearchForm:
    q: str = ""
    theme: str = ""
    status: str = ""
    who: str = "pair"


async def _pairs(walls: TeamScope) -> list[dict[str, Any]]:
    return await (walls.select(Pair, Pair.id, Pair.first_member.display_name.as_alias("first"),
                               Pair.second_member.display_name.as_alias("second"))
                  .where(Pair.ended_at.is_null()).order_by(Pair.id))





def _caseload_context(rows, total, query="", theme="", status="", offset=0, who="pair") -> dict[str, Any]:
    return {"clients": rows, "total": total, "query": query, "theme": theme, "status": status, "offset": offset,
            "who": who, "page_size": PAGE_SIZE, "THEMES": THEMES, "STATUSES": STATUSES}


def _who(walls: TeamScope, who: str) -> str:
    """A worker in a pair starts from the pair's own caseload; leads start from the team."""
    if who in {"pair", "team"} and walls.user.pair_id is not None:
        return who
    return "team"


@get("/clients", name="clients")
async def caseload(walls: Walls, theme: FromQuery[str] = "", status: FromQuery[str] = "active",
                   offset: FromQuery[int] = 0, who: FromQuery[str] = "") -> Template:
    offset = min(max(offset, 0), 10**6)
    who = _who(walls, who or ("team" if walls.user.is_lead else "pair"))
    rows, total = await list_clients(walls, theme=theme, status=status, mine_only=who == "pair", limit=PAGE_SIZE,
                                     offset=offset)
    await log_client_reads(walls, [row["id"] for row in rows], "caseload")
    return Template("pages/clients.html", context=_caseload_context(rows, total, "", theme, status, offset, who))


@post("/clients/search")
async def search_clients(request: HTMXRequest, walls: Walls, data: Annotated[SearchForm, FORM]) -> Template:
    """Search by pseudonym with POST: the name stays out of URLs, history and proxy logs."""
    who = _who(walls, data.who)
    rows, total = await list_clients(walls, query=search_text(data.q), theme=data.theme, status=data.status,
                                     mine_only=who == "pair", limit=PAGE_SIZE)
    await log_client_reads(walls, [row["id"] for row in rows], "client_search", action="search")
    context = _caseload_context(rows, total, search_text(data.q), data.theme, data.status, who=who)
    if request.htmx:
        return HTMXTemplate(template_name="partials/_client_list.html", context=context)
    return Template("pages/clients.html", context=context)


def _client_form(walls: TeamScope, values: dict, errors: dict, pairs: list, client_id: int | None,
                 status_code: int = 200) -> Template:
    return Template("pages/client_form.html", status_code=status_code, context={
        "values": values, "errors": errors, "pairs": pairs, "client_id": client_id, "THEMES": THEMES,
        "STATUSES": STATUSES, "CAME_FROM": CAME_FROM, "RELEASE_TYPES": RELEASE_TYPES,
        "default_pair": walls.user.pair_id})


@get("/clients/new")
async def new_client_page(walls: Walls) -> Template:
    return _client_form(walls, {"status": "active", "came_from": "street", "pair_id": walls.user.pair_id,
                                "consent_data": True}, {}, await _pairs(walls), None)


@post("/clients/new")
async def new_client(request: Request, walls: Walls) -> Template | Redirect:
    raw = await form_dict(request)
    try:
        client_id = await create_client(walls, raw)
    except InvalidInput as problem:
        return _client_form(walls, raw, problem.errors, await _pairs(walls), None, status_code=422)
    return Redirect(f"/clients/{client_id}?saved=client", status_code=303)


def _form_values(client: dict[str, Any]) -> dict[str, Any]:
    values = {key: client[key] for key in ("pseudonym", "legal_name", "birth_year", "phone", "status", "came_from",
                                           "institution", "release_date", "release_type", "themes")}
    values.update(pair_id=client["pair"], consent_data=client["consent_data_at"] is not None,
                  consent_reminders=client["consent_reminders_at"] is not None)
    return values


@get("/clients/{client_id:int}/edit")
async def edit_client_page(walls: Walls, client_id: FromPath[int]) -> Template:
    try:
        if (await reading_walls(walls, client_id, "client_edit_form")).glass_reason:
            raise NotFoundException()  # break-the-glass reads, never edits
    except ReasonNeeded:
        return await admin_reason_page(client_id)
    client = await client_detail(walls, client_id)
    await log_client_read(walls, client_id, client["team"], "client_edit_form")
    return _client_form(walls, _form_values(client), {}, await _pairs(walls), client_id)


@post("/clients/{client_id:int}/edit")
async def edit_client(request: Request, walls: Walls, client_id: FromPath[int]) -> Template | Redirect:
    raw = await form_dict(request)
    # Checkboxes that are not ticked are not sent at all: an edit form means "no theme, no consent".
    raw.setdefault("themes", [])
    raw.setdefault("consent_data", "")
    raw.setdefault("consent_reminders", "")
    try:
        await update_client(walls, client_id, raw)
    except InvalidInput as problem:
        return _client_form(walls, raw, problem.errors, await _pairs(walls), client_id, status_code=422)
    return Redirect(f"/clients/{client_id}?saved=client", status_code=303)


async def _client_page(walls: TeamScope, client_id: int, saved: str = "", form: str = "",
                       errors: dict | None = None, values: dict | None = None, status_code: int = 200) -> Template:
    """The client page; `form` names the add-form to show open with its errors and typed values."""
    client = await client_detail(walls, client_id)
    await log_client_read(walls, client_id, client["team"], "client_page")
    visits, _total = await list_visits(walls, client_id, limit=30, offset=0)
    followups = await client_followups(walls, client_id)
    appointments = await client_appointments(walls, client_id)
    days_to_release = (client["release_date"] - local_today()).days if client["release_date"] else None
    return Template("pages/client.html", status_code=status_code, context={
        "client": client, "visits": visits, "followups": followups, "appointments": appointments,
        "referrals": await referrals_of_client(walls, client_id), "service_choices": await service_choices(),
        "reminder_links": await client_links(walls, client_id),
        "open_followups": [f for f in followups if f["done_at"] is None],
        "done_followups": [f for f in followups if f["done_at"] is not None],
        "days_to_release": days_to_release, "saved": saved, "form": form, "errors": errors or {},
        "values": values or {}})


async def glass_client_page(reading: TeamScope, client_id: int) -> Template:
    """Another team's client opened with break-the-glass: read only, no forms, the reason on top."""
    client = await client_detail(reading, client_id)
    await log_client_read(reading, client_id, client["team"], "client_page")
    visits, _total = await list_visits(reading, client_id, limit=30, offset=0)
    followups = await client_followups(reading, client_id)
    return Template("pages/client_glass.html", context={
        "client": client, "visits": visits, "reason": reading.glass_reason,
        "appointments": await client_appointments(reading, client_id),
        "open_followups": [f for f in followups if f["done_at"] is None]})


@get("/clients/{client_id:int}", name="client")
async def client_page(walls: Walls, client_id: FromPath[int], saved: FromQuery[str] = "") -> Template:
    try:
        reading = await reading_walls(walls, client_id, "client_page")
    except ReasonNeeded:
        return await admin_reason_page(client_id)
    if reading.glass_reason:
        return await glass_client_page(reading, client_id)
    return await _client_page(walls, client_id, saved=saved)


async def _add_to_client(request: Request, walls: TeamScope, client_id: int, create, form: str) -> Template | Redirect:
    """A follow-up or appointment form of the client page: saved, or the page again with its errors."""
    raw = {**await form_dict(request), "client_id": client_id}
    try:
        await create(walls, raw)
    except InvalidInput as problem:
        return await _client_page(walls, client_id, form=form, errors=problem.errors, values=raw, status_code=422)
    return Redirect(f"/clients/{client_id}?saved={form}#{form}s", status_code=303)


@post("/clients/{client_id:int}/followups")
async def add_followup(request: Request, walls: Walls, client_id: FromPath[int]) -> Template | Redirect:
    return await _add_to_client(request, walls, client_id, create_followup, "followup")


@post("/clients/{client_id:int}/appointments")
async def add_appointment(request: Request, walls: Walls, client_id: FromPath[int]) -> Template | Redirect:
    return await _add_to_client(request, walls, client_id, create_appointment, "appointment")


@post("/clients/{client_id:int}/referrals")
async def add_referral(request: Request, walls: Walls, client_id: FromPath[int]) -> Template | Redirect:
    return await _add_to_client(request, walls, client_id, create_referral, "referral")


@post("/referrals/{referral_id:int}/status")
async def move_referral(request: Request, walls: Walls, referral_id: FromPath[int]) -> Redirect:
    referral = await set_referral_status(walls, referral_id, await form_dict(request))
    return Redirect(f"/clients/{referral['client_id']}?saved=referral#referrals", status_code=303)


@get("/clients/{client_id:int}/access-log", guards=[requires_lead])
async def access_log_page(walls: Walls, client_id: FromPath[int], offset: FromQuery[int] = 0) -> Template:
    client = await client_detail(walls, client_id)
    await log_client_read(walls, client_id, client["team"], "access_log_page")
    offset = min(max(offset, 0), 10**6)
    rows, total = await access_log_rows(client_id, 100, offset)
    return Template("pages/access_log.html", context={"client": client, "rows": rows, "total": total,
                                                       "offset": offset})


ROUTES = [caseload, search_clients, new_client_page, new_client, edit_client_page, edit_client, client_page,
          add_followup, add_appointment, add_referral, move_referral, access_log_page]
