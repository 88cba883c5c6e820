"""HTML pages for clients: caseload, search, new and edit forms, the client page, access log."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest, HTMXTemplate
from litestar.response import Redirect, Template

from server.accounts.tables import Pair
from server.audit.glass import ReasonNeeded, reading_walls
from server.audit.pages import admin_reason_page
from server.audit.uselog import access_log_rows, log_client_read, log_client_reads
from server.casework import conflicts
from server.casework.client_view import (
    TIMELINE_PAGE,
    client_page_template,
    glass_client_page,
    saved_or_page_again,
    timeline,
)
from server.casework.clients import (
    CAME_FROM,
    PAGE_SIZE,
    RELEASE_TYPES,
    STATUSES,
    client_detail,
    create_client,
    list_clients,
    update_client,
    walls_checked_once,
)
from server.casework.planning import create_appointment, create_followup
from server.casework.tables import THEMES, Client
from server.casework.versions import StaleVersion
from server.i18n import format_date
from server.i18n import gettext as _
from server.scope import TeamScope, Walls
from server.validation import InvalidInput, search_text
from server.web.forms import form_dict
from server.web.guards import requires_lead
from server.web.labels import label

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


@dataclass
class SearchForm:
    q: str = ""
    theme: str = ""
    status: str = ""
    who: str = "pair"


async def _pairs(walls: TeamScope) -> list[dict[str, Any]]:
    return await (
        walls.select(
            Pair,
            Pair.id,
            Pair.first_member.display_name.as_alias("first"),
            Pair.second_member.display_name.as_alias("second"),
        )
        .where(Pair.ended_at.is_null())
        .order_by(Pair.id)
    )


def _caseload_context(rows, total, query="", theme="", status="", offset=0, who="pair") -> dict[str, Any]:
    return {
        "clients": rows,
        "total": total,
        "query": query,
        "theme": theme,
        "status": status,
        "offset": offset,
        "who": who,
        "page_size": PAGE_SIZE,
        "THEMES": THEMES,
        "STATUSES": STATUSES,
    }


def _who(walls: TeamScope, who: str) -> str:
    """A worker in a pair starts from the pair's own caseload; leads start from the team."""
    if who in {"pair", "team"} and walls.user.pair_id is not None:
        return who
    return "team"


@get("/clients", name="clients")
async def caseload(
    walls: Walls,
    theme: FromQuery[str] = "",
    status: FromQuery[str] = "active",
    offset: FromQuery[int] = 0,
    who: FromQuery[str] = "",
) -> Template:
    offset = min(max(offset, 0), 10**6)
    who = _who(walls, who or ("team" if walls.user.is_lead else "pair"))
    rows, total = await list_clients(
        walls, theme=theme, status=status, mine_only=who == "pair", limit=PAGE_SIZE, offset=offset
    )
    await log_client_reads(walls, [row["id"] for row in rows], "caseload")
    return Template("pages/clients.html", context=_caseload_context(rows, total, "", theme, status, offset, who))


@post("/clients/search")
async def search_clients(request: HTMXRequest, walls: Walls, data: Annotated[SearchForm, FORM]) -> Template:
    """Search by pseudonym with POST: the name stays out of URLs, history and proxy logs."""
    who = _who(walls, data.who)
    rows, total = await list_clients(
        walls, query=search_text(data.q), theme=data.theme, status=data.status, mine_only=who == "pair", limit=PAGE_SIZE
    )
    await log_client_reads(walls, [row["id"] for row in rows], "client_search", action="search")
    context = _caseload_context(rows, total, search_text(data.q), data.theme, data.status, who=who)
    if request.htmx:
        return HTMXTemplate(template_name="partials/_client_list.html", context=context)
    return Template("pages/clients.html", context=context)


def _client_form(
    walls: TeamScope,
    values: dict,
    errors: dict,
    pairs: list,
    client_id: int | None,
    status_code: int = 200,
    version: Any = None,
    base: dict | None = None,
) -> Template:
    """The new or edit form; an edit carries the version and values it was read with (hidden), so
    a save after someone else's is caught and shown as a choice (server/casework/conflicts.py)."""
    return Template(
        "pages/client_form.html",
        status_code=status_code,
        context={
            "values": values,
            "errors": errors,
            "pairs": pairs,
            "client_id": client_id,
            "THEMES": THEMES,
            "STATUSES": STATUSES,
            "CAME_FROM": CAME_FROM,
            "RELEASE_TYPES": RELEASE_TYPES,
            "default_pair": walls.user.pair_id,
            "version": version,
            "base": base or {},
        },
    )


@get("/clients/new")
async def new_client_page(walls: Walls) -> Template:
    return _client_form(
        walls,
        {"status": "active", "came_from": "street", "pair_id": walls.user.pair_id, "consent_data": True},
        {},
        await _pairs(walls),
        None,
    )


@post("/clients/new")
async def new_client(request: Request, walls: Walls) -> Template | Redirect:
    raw = await form_dict(request)
    try:
        client_id = await create_client(walls, raw)
    except InvalidInput as problem:
        return _client_form(walls, raw, problem.errors, await _pairs(walls), None, status_code=422)
    return Redirect(f"/clients/{client_id}?saved=client", status_code=303)


def _form_values(client: dict[str, Any]) -> dict[str, Any]:
    values = {
        key: client[key]
        for key in (
            "pseudonym",
            "legal_name",
            "birth_year",
            "phone",
            "status",
            "came_from",
            "institution",
            "release_date",
            "release_type",
            "themes",
        )
    }
    values.update(
        pair_id=client["pair"],
        consent_data=client["consent_data_at"] is not None,
        consent_reminders=client["consent_reminders_at"] is not None,
    )
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
    return _client_form(
        walls,
        _form_values(client),
        {},
        await _pairs(walls),
        client_id,
        version=client["version"],
        base=conflicts.stored_snapshot(client),
    )


async def _conflict_page(
    walls: TeamScope, client_id: int, posted: dict[str, Any], errors: dict[str, str], status_code: int = 409
) -> Template:
    """Nothing was saved: both values of each differing field, to choose from (see conflicts.py)."""
    client = await client_detail(walls, client_id)
    await log_client_read(walls, client_id, client["team"], "client_conflict")
    pairs = await _pairs(walls)
    rows = conflicts.choices(posted, client)
    for row in rows:
        row["mine_shown"], row["theirs_shown"] = (_shown(row["field"], row[side], pairs) for side in conflicts.SIDES)
    in_conflict = {row["field"] for row in rows}
    stored = conflicts.stored_snapshot(client)
    return Template(
        "pages/client_conflict.html",
        status_code=status_code,
        context={
            "client": client,
            "rows": rows,
            "errors": errors,
            "version": client["version"],
            "base": stored,
            "same": {field: value for field, value in stored.items() if field not in in_conflict},
            "outbox_id": _outbox_id(posted),
        },
    )


def _outbox_id(raw: dict[str, Any]) -> str:
    """The phone's queue id of an edit sent from *Waiting on this phone* (a UUID, else nothing):
    handed back after the choice so the phone can let the edit go."""
    try:
        return str(uuid.UUID(str(raw.get("outbox_id", ""))))
    except ValueError:
        return ""


def _shown(field: str, value: Any, pairs: list[dict[str, Any]]) -> str:
    """A form value as the person reads it: labels, not codes; "–" for empty."""
    if field == "themes":
        return ", ".join(label("theme", theme) for theme in value) or "–"
    if field in conflicts.FLAG_FIELDS:
        return _("Yes") if value else _("No")
    if field in ("status", "came_from", "release_type"):
        return label(field, value) if value else "–"
    if field == "pair_id":
        names = {str(p["id"]): f"{p['first']} – {p['second']}" for p in pairs}
        return names.get(value, "–")
    if field == "release_date" and value:
        try:
            return format_date(date.fromisoformat(value))
        except ValueError:
            return value
    return value or "–"


@post("/clients/{client_id:int}/edit")
async def edit_client(request: Request, walls: Walls, client_id: FromPath[int]) -> Template | Redirect:
    raw = await form_dict(request)
    errors: dict[str, str] = {}
    if conflicts.is_choice(raw):
        values, errors = conflicts.resolved(raw)
        if errors:  # a field left unchosen: the same choice again, nothing saved
            mine = {**values, **{f: raw[f"mine__{f}"] for f in errors if f"mine__{f}" in raw}}
            return await _conflict_page(walls, client_id, conflicts.carry_base(raw, mine), errors, status_code=422)
    else:
        values = {key: value for key, value in raw.items() if "__" not in key}
    # Checkboxes that are not ticked are not sent at all: an edit form means "no theme, no consent".
    values.setdefault("themes", [])
    values.setdefault("consent_data", "")
    values.setdefault("consent_reminders", "")
    try:
        await update_client(walls, client_id, values)
    except InvalidInput as problem:
        return _client_form(
            walls,
            values,
            problem.errors,
            await _pairs(walls),
            client_id,
            status_code=422,
            version=raw.get("version"),
            base=conflicts.snapshot(raw, "base__"),
        )
    except StaleVersion:
        return await _conflict_page(walls, client_id, conflicts.carry_base(raw, values), {})
    done = f"&outbox_done={_outbox_id(raw)}" if _outbox_id(raw) else ""
    return Redirect(f"/clients/{client_id}?saved=client{done}", status_code=303)


@get("/clients/{client_id:int}", name="client")
async def client_page(walls: Walls, client_id: FromPath[int], saved: FromQuery[str] = "") -> Template:
    try:
        reading = await reading_walls(walls, client_id, "client_page")
    except ReasonNeeded:
        return await admin_reason_page(client_id)
    if reading.glass_reason:
        return await glass_client_page(reading, client_id)
    return await client_page_template(walls, client_id, saved=saved)


@get("/clients/{client_id:int}/visits", name="client_visits")
async def older_visits(
    request: HTMXRequest, walls: Walls, client_id: FromPath[int], offset: FromQuery[int] = TIMELINE_PAGE
) -> Template:
    """The client's visits older than the client page shows, a page at a time: swapped in place of
    the page's "Show older visits" link by htmx, or a page of their own without JS."""
    try:
        reading = await reading_walls(walls, client_id, "client_visits")
    except ReasonNeeded:
        return await admin_reason_page(client_id)
    offset = min(max(offset, 0), 10**6)
    with walls_checked_once():
        client = await reading.get(Client, client_id, Client.id, Client.team, Client.pseudonym)
        await log_client_read(reading, client_id, client["team"], "client_visits")
        visits, older = await timeline(reading, client_id, offset)
    context = {"client": client, "visits": visits, "older_offset": older, "timeline_offset": offset}
    if request.htmx:
        return HTMXTemplate(template_name="partials/_visit_timeline.html", context=context)
    return Template("pages/client_visits.html", context=context)


@post("/clients/{client_id:int}/followups")
async def add_followup(request: Request, walls: Walls, client_id: FromPath[int]) -> Template | Redirect:
    return await saved_or_page_again(request, walls, client_id, create_followup, "followup")


@post("/clients/{client_id:int}/appointments")
async def add_appointment(request: Request, walls: Walls, client_id: FromPath[int]) -> Template | Redirect:
    return await saved_or_page_again(request, walls, client_id, create_appointment, "appointment")


@get("/clients/{client_id:int}/access-log", guards=[requires_lead])
async def access_log_page(walls: Walls, client_id: FromPath[int], offset: FromQuery[int] = 0) -> Template:
    client = await client_detail(walls, client_id)
    await log_client_read(walls, client_id, client["team"], "access_log_page")
    offset = min(max(offset, 0), 10**6)
    rows, total = await access_log_rows(client_id, 100, offset)
    return Template("pages/access_log.html", context={"client": client, "rows": rows, "total": total, "offset": offset})


ROUTES = [
    caseload,
    search_clients,
    new_client_page,
    new_client,
    edit_client_page,
    edit_client,
    client_page,
    older_visits,
    add_followup,
    add_appointment,
    access_log_page,
]
