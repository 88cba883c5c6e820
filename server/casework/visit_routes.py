"""HTML pages for logging a visit, ticking follow-ups, and the calendar files."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Response, Template

from server.accounts.sessions import pair_of
from server.audit.uselog import log_client_reads
from server.casework.calendar import appointment_file, feed_ics, feed_owner
from server.casework.clients import list_clients
from server.casework.page_parts import parts_of
from server.casework.planning import followup_with_client, set_followup_done
from server.casework.tables import THEMES, VISIT_ACTIONS, Client
from server.casework.visits import KINDS, read_visit, record_visit
from server.db.prepared import Statement
from server.scope import TeamScope, Walls
from server.timeutil import to_local, utcnow
from server.validation import InvalidInput, Reader
from server.web.forms import form_dict
from server.web.navigation import safe_next

# Written once as SQL (server/db/prepared.py): every visit form asks it.
_TEAM_WORKERS = Statement(
    "SELECT id, display_name FROM app_user WHERE team = {} AND is_active = {} ORDER BY display_name"
)


async def workers_to_choose(walls: TeamScope) -> list[dict[str, Any]]:
    """The user and their partner first; the rest of the team can be ticked too."""
    if walls.user.team_id is None:
        return []
    rows = await _TEAM_WORKERS.fetch(walls.user.team_id, True)
    mine = {walls.user.id, walls.user.partner_id}
    ordered = sorted(rows, key=lambda r: (r["id"] not in mine, r["display_name"]))
    return [{**r, "default": r["id"] in mine} for r in ordered]


async def _visit_form(
    walls: TeamScope, values: dict[str, Any], errors: dict[str, str], anonymous: bool, status_code: int = 200
) -> Template:
    client = None
    client_id = (
        Reader({"client_id": values.get("client_id")}).row_id("client_id")
        if isinstance(values.get("client_id"), (str, int))
        else None
    )
    if client_id is not None:
        client = await walls.select(Client, Client.id, Client.pseudonym).where(Client.id == client_id).first()
    choices: list[dict] = []
    if not anonymous and (client is None or values.get("kind") == "group"):  # a group: the others to tick
        choices, _total = await list_clients(walls, status="active", mine_only=True, limit=500)
    await log_client_reads(walls, [row["id"] for row in choices] + ([client["id"]] if client else []), "visit_form")
    return Template(
        "pages/visit_form.html",
        status_code=status_code,
        context={
            "values": values,
            "errors": errors,
            "anonymous": anonymous,
            "client": client,
            "client_choices": choices,
            "workers": await workers_to_choose(walls),
            **await parts_of("visit_form", walls),
            "THEMES": THEMES,
            "ACTIONS": VISIT_ACTIONS,
            "KINDS": KINDS,
            "now_local": to_local(utcnow()).strftime("%Y-%m-%dT%H:%M"),
        },
    )


@get("/visits/new")
async def new_visit_page(
    walls: Walls,
    client_id: FromQuery[int | None] = None,
    anonymous: FromQuery[bool] = False,
    kind: FromQuery[str] = "street",
) -> Template:
    values: dict[str, Any] = {"kind": kind if kind in KINDS else "street", "client_id": client_id or ""}
    if anonymous:
        values["anonymous_count"] = "1"
    return await _visit_form(walls, values, {}, anonymous)


@post("/visits")
async def create_visit(request: Request, walls: Walls) -> Template | Redirect:
    raw = await form_dict(request)
    anonymous = raw.get("mode") == "anonymous"
    try:
        visit, _created = await record_visit(walls, read_visit(raw, require_id=False))
    except InvalidInput as problem:
        return await _visit_form(walls, raw, problem.errors, anonymous, status_code=422)
    back_to = visit["client_id"] or (visit["client_ids"] or [None])[0]  # a group: its first client
    if back_to:
        return Redirect(f"/clients/{back_to}?saved=visit", status_code=303)
    return Redirect("/?saved=visit", status_code=303)


@post("/followups/{followup_id:int}/{change:str}")
async def mark_followup(
    request: HTMXRequest, walls: Walls, followup_id: FromPath[int], change: FromPath[str]
) -> Template | Redirect:
    if change not in {"done", "undone"}:
        raise NotFoundException()
    await set_followup_done(walls, followup_id, change == "done")
    form = await form_dict(request)
    if request.htmx:
        row = await followup_with_client(walls, followup_id)
        # The row just changed, shown back to who changed it: the change's own use-log row covers it.
        return Template("partials/_followup_row.html", context={"f": row, "show_client": bool(form.get("show_client"))})
    return Redirect(safe_next(form.get("next"), "/"), status_code=303)


@get("/appointments/{file_name:str}")
async def appointment_download(walls: Walls, file_name: FromPath[str]) -> Response:
    return await appointment_file(walls, file_name)


@get("/calendar/{file_name:str}", opt={"public": True})
async def calendar_feed(file_name: FromPath[str]) -> Response:
    """A worker's private feed for the phone's calendar app; the token is the only key."""
    user_id = await feed_owner(file_name.removesuffix(".ics"))
    if user_id is None:
        raise NotFoundException()
    pair = await pair_of(user_id)
    return Response(await feed_ics(pair[0] if pair else None, user_id), media_type="text/calendar; charset=utf-8")


ROUTES = [new_visit_page, create_visit, mark_followup, appointment_download, calendar_feed]
