"""/lead: the team lead's dashboard (leads and admins), its JSON and CSV, and the lists behind it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from piccolo.columns import Column

from server.accounts.tables import Pair
from server.audit.glass import recent_searches
from server.audit.uselog import log_client_reads
from server.dashboard.figures import (
    DEFAULT_WEEKS,
    DRILLS,
    WEEK_CHOICES,
    clients_behind,
    dashboard,
    supervision_behind,
)
from server.dashboard.tables import CaseloadTarget
from server.i18n import N_
from server.rhythm.debriefs import lead_requests
from server.scope import TeamScope, Walls
from server.timeutil import utcnow
from server.validation import InvalidInput, Reader
from server.web import charts
from server.web.forms import form_dict
from server.web.guards import requires_lead
from server.web.labels import label
from server.web.spreadsheet import csv_response

LEAD: dict[str, Any] = {"guards": [requires_lead]}  # spread into route decorators


def _team(raw: str) -> int | None:
    """The chosen team for the filter form: empty (every team in the walls) or a number."""
    raw = raw.strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _scope(walls: TeamScope, team: str) -> TeamScope:
    return walls.filtered(team)


def _weeks(weeks: int) -> int:
    return weeks if weeks in WEEK_CHOICES else DEFAULT_WEEKS


def chart_data(figures: dict[str, Any]) -> dict[str, Any]:
    pairs = [p for p in figures["pairs"] if p["id"] is not None]
    caseload = charts.horizontal_bars(
        [(" & ".join(m["name"] for m in p["members"]), p["active_clients"], f"active&pair={p['id']}") for p in pairs],
        scale_to=max([p["target"]["high"] for p in pairs] + [0]) + 5,
    )
    bands = [charts.band(caseload, p["target"]["low"], p["target"]["high"]) for p in pairs]
    return {
        "caseload": caseload,
        "bands": bands,
        "weeks": charts.stacked_columns(figures["contacts_per_week"]),
        "themes": charts.horizontal_bars([(t, n, f"theme&value={t}") for t, n in figures["themes"].items()]),
        "referrals": charts.horizontal_bars(
            [(s, n, f"referral&value={s}") for s, n in figures["referrals_by_status"].items()]
        ),
    }


SEARCHES_SHOWN_FOR = timedelta(days=30)  # the workers' searches of other teams, on /lead


@get("/lead", **LEAD)
async def lead_page(
    walls: Walls, team: FromQuery[str] = "", weeks: FromQuery[int] = DEFAULT_WEEKS, saved: FromQuery[str] = ""
) -> Template:
    return await _lead_page(walls, team, weeks, saved=saved == "targets")


async def _lead_page(
    walls: TeamScope, team: str, weeks: int, saved: bool = False, errors: dict | None = None, status_code: int = 200
) -> Template:
    figures = await dashboard(_scope(walls, team), _weeks(weeks))
    return Template(
        "pages/lead.html",
        status_code=status_code,
        context={
            "f": figures,
            "charts": chart_data(figures),
            "team": _team(team),
            "saved": saved,
            "errors": errors or {},
            "requests": await lead_requests(_scope(walls, team)),
            "org_searches": await recent_searches(_scope(walls, team), utcnow() - SEARCHES_SHOWN_FOR),
            "team_choices": [(t["id"], t["name"]) for t in await _teams(walls)],
            "week_choices": [(str(w), label("period", str(w))) for w in WEEK_CHOICES],
        },
    )


async def _teams(walls: TeamScope) -> list[dict[str, Any]]:
    from server.accounts.tables import Team

    return await Team.select(Team.id, Team.name).where(Team.id.is_in(walls.team_id_list())).order_by(Team.name)


@get("/lead/clients", **LEAD)
async def lead_list(
    walls: Walls,
    show: FromQuery[str],
    team: FromQuery[str] = "",
    pair: FromQuery[str] = "",
    value: FromQuery[str] = "",
    weeks: FromQuery[int] = DEFAULT_WEEKS,
) -> Template:
    if show == "supervision":  # people, not clients: nothing of a client is read
        return Template(
            "pages/lead_list.html",
            context={
                "people": await supervision_behind(_scope(walls, team)),
                "clients": [],
                "show": show,
                "value": "",
                "team": _team(team),
                "weeks": _weeks(weeks),
                "pair_members": [],
            },
        )
    if show not in DRILLS:
        raise NotFoundException()
    scope = _scope(walls, team)
    which: int | str = int(pair) if pair.isdigit() else "none" if pair == "none" else ""
    rows = await clients_behind(scope, show, which, value[:40], _weeks(weeks))
    await log_client_reads(walls, [row["id"] for row in rows], "dashboard_list")
    return Template(
        "pages/lead_list.html",
        context={
            "clients": rows,
            "show": show,
            "value": value,
            "team": _team(team),
            "weeks": _weeks(weeks),
            "pair_members": await _pair_members(scope, which),
        },
    )


async def _pair_members(walls: TeamScope, pair: int | str) -> list[dict[str, Any]]:
    """A list of one pair's clients also says how each of the two is doing with supervision."""
    if not isinstance(pair, int):
        return []
    row = await walls.select(Pair, Pair.first_member, Pair.second_member).where(Pair.id == pair).first()
    if row is None:
        return []
    members = {row["first_member"], row["second_member"]}
    return [person for person in await supervision_behind(walls) if person["id"] in members]


@post("/lead/targets", **LEAD)
async def save_targets(request: Request, walls: Walls) -> Redirect | Template:
    raw = await form_dict(request)
    reader = Reader(raw)
    team_id = reader.row_id("team_id", required=True)
    low = reader.integer("low", 0, 200)
    high = reader.integer("high", 1, 200)
    days = reader.integer("no_contact_days", 1, 365)
    if low is not None and high is not None and low > high:
        reader.fail("high", N_("The upper limit must be at least the lower one."))
    try:
        reader.done()
    except InvalidInput as problem:
        return await _lead_page(walls, raw.get("team_id", ""), DEFAULT_WEEKS, errors=problem.errors, status_code=422)
    if team_id not in walls.team_ids:
        raise NotFoundException()
    values: dict[Column, Any] = {
        CaseloadTarget.low: low if low is not None else 20,
        CaseloadTarget.high: high if high is not None else 30,
        CaseloadTarget.no_contact_days: days or 30,
        CaseloadTarget.updated_at: utcnow(),
    }
    if not await CaseloadTarget.update(values).where(CaseloadTarget.team == team_id).returning(CaseloadTarget.id):  # type: ignore[arg-type]  # Piccolo's stub: invariant dict
        await CaseloadTarget.insert(
            CaseloadTarget(team=team_id, **{c._meta.name: v for c, v in values.items()})
        ).on_conflict(target=CaseloadTarget.team, action="DO NOTHING")
    return Redirect(f"/lead?team={team_id}&saved=targets#targets", status_code=303)


@get("/api/v1/dashboard", **LEAD)
async def dashboard_api(
    walls: Walls, team: FromQuery[str] = "", weeks: FromQuery[int] = DEFAULT_WEEKS
) -> dict[str, Any]:
    figures = await dashboard(_scope(walls, team), _weeks(weeks))
    figures["targets"] = [{"team_id": t, **v} for t, v in figures["targets"].items()]
    return figures


def dashboard_rows(figures: dict[str, Any]) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = [("figure", "team", "pair", "key", "value")]
    for p in figures["pairs"]:
        names = " & ".join(m["name"] for m in p["members"])
        for key in ("active_clients", "heavy_clients", "weighted_load", "overdue_followups", "no_contact"):
            rows.append(("pair", p["team"], names, key, p[key]))
    for week in figures["contacts_per_week"]:
        rows.append(("contacts_per_week", "", "", f"{week['week_start']} known", week["known"]))
        rows.append(("contacts_per_week", "", "", f"{week['week_start']} anonymous", week["anonymous"]))
    for release in figures["releases_next_90_days"]:
        rows.append(("release", "", release["pair_id"] or "", release["release_date"], release["days_left"]))
    for release in figures["releases_without_plan"]:
        rows.append(
            (
                "release_without_plan",
                "",
                release["pair_id"] or "",
                release["release_date"],
                " ".join(release["open_essential"]),
            )
        )
    for name in ("themes", "referrals_by_status", "visit_share", "reminders"):
        for key, value in figures[name].items():
            rows.append((name, "", "", key, value))
    return rows


@get("/api/v1/dashboard.csv", **LEAD)
async def dashboard_csv(walls: Walls, team: FromQuery[str] = "", weeks: FromQuery[int] = DEFAULT_WEEKS) -> Response:
    figures = await dashboard(_scope(walls, team), _weeks(weeks))
    return csv_response(dashboard_rows(figures), f"rinnalla-dashboard-{figures['today']}")


ROUTES = [lead_page, lead_list, save_targets, dashboard_api, dashboard_csv]
