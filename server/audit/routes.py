"""Pages and API of the audit package: the client's log report, break-the-glass, the caseload export."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.exceptions import TooManyRequestsException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from server.audit import glass
from server.audit.export import export_caseload
from server.audit.pages import admin_reason_page
from server.audit.report import make_report, read_period, report_json
from server.casework.clients import client_detail
from server.i18n import LANGUAGES, N_, set_language
from server.scope import Walls
from server.timeutil import local_today
from server.validation import InvalidInput
from server.web.forms import form_dict
from server.web.guards import requires_lead
from server.web.limits import json_object
from server.web.spreadsheet import csv_response

LEAD: dict[str, Any] = {"guards": [requires_lead]}  # spread into route decorators
FROM = Annotated[str, QueryParameter(name="from", description="First day (YYYY-MM-DD); default two years back.")]
TO = Annotated[str, QueryParameter(name="to", description="Last day (YYYY-MM-DD); default today.")]


# The client's log report (§11) ----------------------------------------------------------------


@get("/clients/{client_id:int}/log-report")
async def log_report_page(
    walls: Walls, client_id: FromPath[int], start: FROM = "", end: TO = "", lang: FromQuery[str] = ""
) -> Template:
    """A page that prints well, in the language the client reads (`lang`), for a period; any
    worker of the client's team makes it when the client asks."""
    client = await client_detail(walls, client_id)
    if lang in LANGUAGES:
        set_language(lang)
    try:
        period, errors = read_period(start, end), {}
    except InvalidInput as problem:
        period, errors = read_period(None, None), problem.errors
    report = await make_report(walls, client_id, period, "log_report_page")
    return Template(
        "pages/log_report.html",
        status_code=422 if errors else 200,
        context={"client": client, "report": report, "errors": errors, "lang": lang, "made_on": local_today()},
    )


@get("/api/v1/clients/{client_id:int}/log-report")
async def log_report_api(walls: Walls, client_id: FromPath[int], start: FROM = "", end: TO = "") -> dict[str, Any]:
    period = read_period(start, end)
    return report_json(await make_report(walls, client_id, period, "api_log_report"))


# Break-the-glass ------------------------------------------------------------------------------


@get("/clients/other-teams")
async def other_teams_page(walls: Walls) -> Template:
    return Template("pages/other_teams.html", context={"query": "", "birth_year": "", "results": None, "errors": {}})


@post("/clients/other-teams")
async def search_other_teams(request: Request, walls: Walls) -> Template:
    """POST keeps the name out of URLs and logs."""
    raw = await form_dict(request)
    query, year = str(raw.get("q", ""))[:80], str(raw.get("birth_year", ""))[:8]
    status_code, headers = 200, {}
    try:
        results, errors = await glass.search_organisation(walls, *glass.read_search(raw)), {}
    except InvalidInput as problem:
        results, errors, status_code = None, problem.errors, 422
    except glass.TooManySearches as limit:
        results, status_code, headers = None, 429, {"Retry-After": str(limit.wait_seconds)}
        errors = {"q": N_("You have used today's searches of other teams. Ask your team lead if you need more.")}
    return Template(
        "pages/other_teams.html",
        status_code=status_code,
        headers=headers,
        context={"query": query, "birth_year": year, "results": results, "errors": errors},
    )


@post("/clients/{client_id:int}/break-glass")
async def break_glass_page(request: Request, walls: Walls, client_id: FromPath[int]) -> Template | Redirect:
    try:
        await glass.open_client(walls, client_id, glass.read_reason(await form_dict(request)))
    except InvalidInput as problem:
        if walls.user.is_admin and "reason" in problem.errors:
            return await admin_reason_page(client_id, problem.errors, status_code=422)
        return Template(
            "pages/other_teams.html",
            status_code=422,
            context={"query": "", "results": None, "errors": problem.errors, "client_id": client_id},
        )
    return Redirect(f"/clients/{client_id}", status_code=303)


@post("/api/v1/clients/search-organisation", status_code=200)
async def search_organisation_api(request: Request, walls: Walls) -> dict[str, Any]:
    """Needs `q` (the name's first letters, at least three) and `birth_year`; limited per day."""
    key, year = glass.read_search(await json_object(request))
    try:
        rows = await glass.search_organisation(walls, key, year)
    except glass.TooManySearches as limit:
        raise TooManyRequestsException(
            detail="Too many searches of other teams today.", headers={"Retry-After": str(limit.wait_seconds)}
        ) from None
    return {"items": [{"id": row["id"], "pseudonym": row["pseudonym"], "team": row["team_name"]} for row in rows]}


@post("/api/v1/clients/{client_id:int}/break-glass", status_code=201)
async def break_glass_api(request: Request, walls: Walls, client_id: FromPath[int]) -> dict[str, Any]:
    return await glass.open_client(walls, client_id, glass.read_reason(await json_object(request)))


# The caseload export --------------------------------------------------------------------------


@get("/api/v1/clients.csv", **LEAD)
async def caseload_csv(walls: Walls, team: FromQuery[str] = "", status: FromQuery[str] = "") -> Response:
    rows = await export_caseload(walls.filtered(team), status)
    return csv_response(rows, f"rinnalla-clients-{local_today().isoformat()}")


ROUTES = [
    log_report_page,
    log_report_api,
    other_teams_page,
    search_other_teams,
    break_glass_page,
    search_organisation_api,
    break_glass_api,
    caseload_csv,
]
