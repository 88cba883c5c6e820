"""Pages and API of the pair's rhythm: /debriefs, /supervision, /hours (and the lead's rates,
terms and payroll)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from server.i18n import N_
from server.rhythm import debriefs, hours, supervision
from server.scope import Walls
from server.timeutil import local_today, to_local
from server.validation import InvalidInput
from server.web.forms import form_dict, save_or_show
from server.web.guards import requires_lead
from server.web.labels import label
from server.web.limits import json_object
from server.web.spreadsheet import csv_response

LEAD: dict[str, Any] = {"guards": [requires_lead]}  # spread into route decorators


def _plain(value: Any) -> Any:
    """Decimals as JSON numbers (they are cents and hundredths: exact in a float's print)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# -- debriefs ---------------------------------------------------------------------------------------


async def _debriefs_page(
    request: Request,
    errors: dict | None = None,
    values: dict | None = None,
    status_code: int = 200,
    saved: bool = False,
) -> Template:
    return Template(
        "pages/debriefs.html",
        status_code=status_code,
        context={
            "debriefs": await debriefs.own_debriefs(request.user),
            "errors": errors or {},
            "values": values or {},
            "saved": saved,
        },
    )


@get("/debriefs")
async def debriefs_page(request: Request, saved: FromQuery[str] = "") -> Template:
    return await _debriefs_page(request, saved=bool(saved))


@post("/debriefs")
async def new_debrief_page(request: Request) -> Template | Redirect:
    return await save_or_show(
        request,
        lambda raw: debriefs.start_debrief(request.user, raw),
        lambda errors, raw: _debriefs_page(request, errors, raw, 422),
        "/debriefs?saved=1",
    )


@post("/debriefs/{debrief_id:int}/notes")
async def add_debrief_note_page(request: Request, debrief_id: FromPath[int]) -> Template | Redirect:
    return await save_or_show(
        request,
        lambda raw: debriefs.add_note(request.user, debrief_id, raw),
        lambda errors, raw: _debriefs_page(request, errors, {**raw, "debrief_id": debrief_id}, 422),
        f"/debriefs?saved=1#debrief-{debrief_id}",
    )


@post("/api/v1/debriefs", status_code=201)
async def new_debrief_api(request: Request) -> dict[str, Any]:
    return await debriefs.start_debrief(request.user, await json_object(request))


@post("/api/v1/debriefs/{debrief_id:int}/notes", status_code=201)
async def add_debrief_note_api(request: Request, debrief_id: FromPath[int]) -> dict[str, Any]:
    return await debriefs.add_note(request.user, debrief_id, await json_object(request))


@get("/api/v1/debriefs")
async def list_debriefs_api(request: Request) -> dict[str, Any]:
    return {"items": await debriefs.own_debriefs(request.user)}


@post("/lead/requests/{debrief_id:int}/done", **LEAD)
async def lead_request_done(walls: Walls, debrief_id: FromPath[int]) -> Redirect:
    await debriefs.mark_contacted(walls, debrief_id)
    return Redirect("/lead#requests", status_code=303)


# -- supervision --------------------------------------------------------------------------------------


async def _supervision_page(
    request: Request, errors: dict | None = None, values: dict | None = None, status_code: int = 200
) -> Template:
    return Template(
        "pages/supervision.html",
        status_code=status_code,
        context={
            "sessions": await supervision.own_sessions(request.user.id),
            "rhythm": await supervision.rhythm(request.user.id),
            "errors": errors or {},
            "values": values or {"occurred_on": local_today().isoformat()},
        },
    )


@get("/supervision")
async def supervision_page(request: Request) -> Template:
    return await _supervision_page(request)


@post("/supervision")
async def add_supervision_page(request: Request) -> Template | Redirect:
    return await save_or_show(
        request,
        lambda raw: supervision.add_session(request.user, raw),
        lambda errors, raw: _supervision_page(request, errors, raw, 422),
        "/supervision",
    )


@post("/api/v1/supervision", status_code=201)
async def add_supervision_api(request: Request) -> dict[str, Any]:
    return await supervision.add_session(request.user, await json_object(request))


@get("/api/v1/supervision")
async def list_supervision_api(request: Request) -> dict[str, Any]:
    return {
        "items": await supervision.own_sessions(request.user.id),
        "rhythm": await supervision.rhythm(request.user.id),
    }


# -- hours and fees --------------------------------------------------------------------------------------


async def _hours_page(
    request: Request,
    month: str = "",
    errors: dict | None = None,
    values: dict | None = None,
    status_code: int = 200,
    over_limit: hours.OverLimit | None = None,
) -> Template:
    try:
        summary = await hours.month_summary(request.user.id, month or None)
    except InvalidInput:
        summary = await hours.month_summary(request.user.id)
    return Template(
        "pages/hours.html",
        status_code=status_code,
        context={
            "summary": summary,
            "terms": await hours.terms_of(request.user.id),
            "activities": hours.ACTIVITIES,
            "visits": await hours.visits_without_hours(request.user.id),
            "errors": errors or {},
            "values": values or {"date": local_today().isoformat()},
            "over_limit": over_limit,
            "rates": await hours.rate_table(team_id=request.user.team_id),
            "activity_choices": _activities(),
        },
    )


@get("/hours")
async def hours_page(request: Request, month: FromQuery[str] = "", visit: FromQuery[str] = "") -> Template:
    """`?visit=<id>`: one of the worker's visits offers its time (client work, on its day)."""
    chosen = next((v for v in await hours.visits_without_hours(request.user.id) if str(v["uuid"]) == visit), None)
    values = (
        {
            "date": to_local(chosen["occurred_at"]).date().isoformat(),
            "activity": "client_work",
            "visit_id": str(chosen["uuid"]),
        }
        if chosen
        else None
    )
    return await _hours_page(request, month[:7], values=values)


@post("/hours")
async def log_hours_page(request: Request) -> Template | Redirect:
    raw = await form_dict(request)
    try:
        confirmed = str(raw.get("confirmed_fee_cents", ""))
        await hours.log_hours(request.user, raw, int(confirmed) if confirmed.isdigit() else None)
    except InvalidInput as problem:
        return await _hours_page(request, errors=problem.errors, values=raw, status_code=422)
    except hours.OverLimit as warning:
        return await _hours_page(request, values=raw, status_code=409, over_limit=warning)
    return Redirect("/hours", status_code=303)


@post("/hours/limit")
async def set_limit_page(request: Request) -> Template | Redirect:
    return await save_or_show(
        request,
        lambda raw: hours.set_own_limit(request.user, raw),
        lambda errors, raw: _hours_page(request, errors=errors, values=raw, status_code=422),
        "/hours#limit",
    )


@post("/api/v1/hours", status_code=201)
async def log_hours_api(request: Request) -> Response:
    body = await json_object(request)
    try:
        confirmed = body.get("confirmed_fee_eur")
        cents = hours._cents(confirmed) if confirmed is not None else None
        if body.get("confirm_over_limit") is True and cents is None:
            cents = 10**9  # confirmed whatever it costs
        entry = await hours.log_hours(request.user, body, cents)
    except hours.OverLimit as warning:
        return Response(
            {
                "detail": N_("This would cross your monthly fee limit."),
                "fee_eur": float(hours.euros(warning.fee_cents)),
                "remaining_eur": float(hours.euros(warning.remaining_cents)),
                "errors": [{"field": "hours", "message": "over_limit"}],
            },
            status_code=409,
        )
    return Response(_plain(entry), status_code=201)


@get("/api/v1/hours/summary")
async def hours_summary_api(request: Request, month: FromQuery[str] = "") -> dict[str, Any]:
    summary = await hours.month_summary(request.user.id, month or None)
    for key in ("fees_cents", "limit_cents", "entries"):
        summary.pop(key)
    return _plain(summary)


@post("/api/v1/hours/limit")
async def set_limit_api(request: Request) -> dict[str, Any]:
    await hours.set_own_limit(request.user, await json_object(request))
    return _plain({"limit_eur": hours.euros(await hours.own_limit(request.user.id))})


# -- the lead: rates, terms, payroll ------------------------------------------------------------------------------


@get("/hours/rates", **LEAD)
async def rates_page(request: Request) -> Template:
    return await _rates_page(request, {}, {"effective_from": local_today().isoformat()})


async def _rates_page(
    request: Request, errors: dict[str, str], values: dict[str, Any], status_code: int = 200
) -> Template:
    """A lead sees and changes their own team's rates; an admin the organisation's defaults."""
    return Template(
        "pages/rates.html",
        status_code=status_code,
        context={
            "rates": await hours.rate_table(team_id=hours.rate_team(request.user)),
            "activity_choices": _activities(),
            "errors": errors,
            "values": values,
            "defaults": request.user.is_admin,
        },
    )


def _activities() -> list[tuple[str, str]]:
    return [(a, label("hours_activity", a)) for a in hours.ACTIVITIES]


@post("/hours/rates", **LEAD)
async def set_rate_page(request: Request) -> Template | Redirect:
    return await save_or_show(
        request,
        lambda raw: hours.set_rate(request.user, raw),
        lambda errors, raw: _rates_page(request, errors, raw, 422),
        "/hours/rates",
    )


@post("/team/members/{user_id:int}/terms", **LEAD)
async def set_terms_page(request: Request, walls: Walls, user_id: FromPath[int]) -> Redirect:
    await hours.set_terms(walls, user_id, await form_dict(request))
    return Redirect(f"/team#member-{user_id}", status_code=303)


@get("/api/v1/hours.csv", **LEAD)
async def payroll_csv(walls: Walls, month: FromQuery[str] = "") -> Response:
    rows = await hours.payroll_rows(walls, month or None)
    name = rows[0][0] if rows else (month or local_today().strftime("%Y-%m"))
    return csv_response(
        [("month", "worker", "email", "activity", "hours", "fees_eur"), *rows], f"rinnalla-hours-{name}"
    )


ROUTES = [
    debriefs_page,
    new_debrief_page,
    add_debrief_note_page,
    new_debrief_api,
    add_debrief_note_api,
    list_debriefs_api,
    lead_request_done,
    supervision_page,
    add_supervision_page,
    add_supervision_api,
    list_supervision_api,
    hours_page,
    log_hours_page,
    set_limit_page,
    log_hours_api,
    hours_summary_api,
    set_limit_api,
    rates_page,
    set_rate_page,
    set_terms_page,
    payroll_csv,
]
