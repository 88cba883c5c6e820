"""The dashboard's figures, for the teams a lead or admin sees: numbers only, never a note or name
of a client (a lead who opens a client goes through the access log like anyone else).

Weeks are Helsinki weeks (Monday 00:00 local time to the next), so a week that spans a DST change
is 167 or 169 hours long and a visit late on Sunday night stays in its own week. Every query goes
through the TeamScope, by the team columns each table carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from piccolo.custom_types import Combinable
from piccolo.query.functions.aggregate import Count, Sum

from server.accounts.tables import Pair, Team, User
from server.audit.glass import recent_openings
from server.casework.clients import releasing_within
from server.casework.tables import Client, FollowUp, Visit, VisitAttendee, VisitTheme, VisitWorker
from server.dashboard.heavy import HEAVY_WEIGHT, heavy_per_pair
from server.dashboard.tables import CaseloadTarget
from server.push.tables import Reminder
from server.release.plan import releases_without_plan
from server.rhythm.hours import expert_hours
from server.rhythm.supervision import WORKER_ROLES, last_sessions, rhythms
from server.rhythm.tables import Debrief
from server.scope import TeamScope
from server.services.tables import REFERRAL_STATUSES, Referral
from server.timeutil import local_day_bounds, local_today, local_zone

WEEK_CHOICES = (4, 8, 13, 26, 52)
DEFAULT_WEEKS = 8
RELEASE_HORIZONS = (30, 90)
DEFAULT_TARGET = {"low": 20, "high": 30, "no_contact_days": 30}


@dataclass(frozen=True)
class Period:
    today: date
    weeks: int

    @property
    def week_starts(self) -> list[date]:
        this_monday = self.today - timedelta(days=self.today.weekday())
        return [this_monday - timedelta(weeks=n) for n in range(self.weeks - 1, -1, -1)]

    @property
    def start(self) -> datetime:
        return local_day_bounds(self.week_starts[0])[0]

    @property
    def end(self) -> datetime:
        return local_day_bounds(self.today)[1]


def week_bounds(monday: date) -> tuple[datetime, datetime]:
    return local_day_bounds(monday)[0], local_day_bounds(monday + timedelta(days=6))[1]


async def targets(team_ids: tuple[int, ...]) -> dict[int, dict[str, int]]:
    rows = await CaseloadTarget.select(
        CaseloadTarget.team, CaseloadTarget.low, CaseloadTarget.high, CaseloadTarget.no_contact_days
    ).where(CaseloadTarget.team.is_in(list(team_ids) or [-1]))
    found = {row["team"]: {k: row[k] for k in ("low", "high", "no_contact_days")} for row in rows}
    return {team: found.get(team, DEFAULT_TARGET) for team in team_ids}


def _counts(rows: list[dict[str, Any]], key: str) -> dict[Any, int]:
    return {row[key]: row["n"] for row in rows}


async def _per_pair(table, condition) -> dict[int | None, int]:
    rows = await table.select(table.pair, Count(alias="n")).where(condition).group_by(table.pair)
    return _counts(rows, "pair")


def _out_of_touch_condition(team_targets: dict[int, dict[str, int]], today: date):
    """Active clients not met within their team's N days; one subquery per distinct N (most teams
    keep the default), not one per team."""
    teams_by_days: dict[int, list[int]] = {}
    for team_id, target in team_targets.items():
        teams_by_days.setdefault(target["no_contact_days"], []).append(team_id)
    condition: Combinable | None = None
    for days, team_ids in teams_by_days.items():
        since = local_day_bounds(today - timedelta(days=days))[0]
        met = Visit.select(Visit.client).where(
            Visit.team.is_in(team_ids) & Visit.client.is_not_null() & (Visit.occurred_at >= since)
        )
        met_in_group = VisitAttendee.select(VisitAttendee.client).where(
            VisitAttendee.team.is_in(team_ids)
            & VisitAttendee.visit.is_in(
                Visit.select(Visit.id).where(Visit.team.is_in(team_ids) & (Visit.occurred_at >= since))
            )
        )
        this = Client.team.is_in(team_ids) & Client.id.not_in(met) & Client.id.not_in(met_in_group)
        condition = this if condition is None else condition | this
    return (Client.status == "active") & (condition if condition is not None else Client.id.is_null())


async def _out_of_touch(walls: TeamScope, team_targets: dict[int, dict[str, int]], today: date) -> dict:
    """Active clients with no visit for their team's N days, per pair."""
    return await _per_pair(Client, walls.condition(Client) & _out_of_touch_condition(team_targets, today))


async def pairs(walls: TeamScope, team_targets: dict[int, dict[str, int]], today: date) -> list[dict[str, Any]]:
    rows = (
        await Pair.select(
            Pair.id,
            Pair.team,
            Pair.team.name.as_alias("team_name"),
            Pair.first_member.id.as_alias("first_id"),
            Pair.first_member.display_name.as_alias("first_name"),
            Pair.first_member.role.as_alias("first_role"),
            Pair.second_member.id.as_alias("second_id"),
            Pair.second_member.display_name.as_alias("second_name"),
            Pair.second_member.role.as_alias("second_role"),
        )
        .where(walls.condition(Pair) & Pair.ended_at.is_null())
        .order_by(Pair.team)
        .order_by(Pair.id)
    )
    active = await _per_pair(Client, walls.condition(Client) & (Client.status == "active"))
    overdue = await _per_pair(
        FollowUp,
        walls.condition(FollowUp) & FollowUp.done_at.is_null() & (FollowUp.due_at < local_day_bounds(today)[0]),
    )
    out_of_touch = await _out_of_touch(walls, team_targets, today)
    rhythm = await _pair_rhythm(walls, rows, today)
    heavy = await heavy_per_pair(walls, today)
    result = []
    for row in rows:
        target = team_targets[row["team"]]
        # A client in a heavy phase (release soon, a crisis, a review showing decline) weighs more.
        count = active.get(row["id"], 0) + (HEAVY_WEIGHT - 1) * heavy.get(row["id"], 0)
        result.append(
            {
                "id": row["id"],
                "team_id": row["team"],
                "team": row["team_name"],
                "members": [
                    {"id": row[f"{m}_id"], "name": row[f"{m}_name"], "role": row[f"{m}_role"]}
                    for m in ("first", "second")
                ],
                "active_clients": active.get(row["id"], 0),
                "heavy_clients": heavy.get(row["id"], 0),
                "weighted_load": count,
                "target": {"low": target["low"], "high": target["high"]},
                "load": "low" if count < target["low"] else "high" if count > target["high"] else "ok",
                "overdue_followups": overdue.get(row["id"], 0),
                "no_contact": out_of_touch.get(row["id"], 0),
                **rhythm.get(row["id"], {}),
            }
        )
        for member in result[-1]["members"]:
            member.update(rhythm.get(("member", member["id"]), {}))
    # Clients no pair carries are the lead's to place: shown as a row of their own.
    if active.get(None) or overdue.get(None) or out_of_touch.get(None):
        result.append(
            {
                "id": None,
                "team_id": None,
                "team": "",
                "members": [],
                "active_clients": active.get(None, 0),
                "heavy_clients": heavy.get(None, 0),
                "weighted_load": active.get(None, 0) + (HEAVY_WEIGHT - 1) * heavy.get(None, 0),
                "target": None,
                "load": "none",
                "overdue_followups": overdue.get(None, 0),
                "no_contact": out_of_touch.get(None, 0),
            }
        )
    return result


async def _pair_rhythm(walls: TeamScope, pairs: list[dict[str, Any]], today: date) -> dict:
    """Debriefs in the last 30 days and open "talk with the lead" requests per pair, and per member
    the days since their last supervision and an experience expert's hours this month: dates and
    counts only, nothing of what was said."""
    since = local_day_bounds(today - timedelta(days=30))[0]
    recent = (
        await Debrief.select(Debrief.pair, Count(alias="n"))
        .where(walls.condition(Debrief) & (Debrief.occurred_at >= since))
        .group_by(Debrief.pair)
    )
    requests = (
        await Debrief.select(Debrief.pair, Count(alias="n"))
        .where(walls.condition(Debrief) & Debrief.wants_lead_contact.eq(True) & Debrief.lead_contact_done_at.is_null())
        .group_by(Debrief.pair)
    )
    recent_n, requests_n = _counts(recent, "pair"), _counts(requests, "pair")
    members = [(p[f"{m}_id"], p[f"{m}_role"]) for p in pairs for m in ("first", "second")]
    supervised = await last_sessions([user for user, _role in members])
    worked = await expert_hours(walls.team_ids, [user for user, role in members if role == "experience_expert"])
    found: dict[Any, dict[str, Any]] = {
        p["id"]: {"debriefs_30_days": recent_n.get(p["id"], 0), "lead_requests": requests_n.get(p["id"], 0)}
        for p in pairs
    }
    for user, role in members:
        last = supervised.get(user)
        found[("member", user)] = {
            "days_since_supervision": (today - last).days if last else None,
            **({"hours_this_month": worked.get(user, 0)} if role == "experience_expert" else {}),
        }
    return found


async def releases(walls: TeamScope, today: date, days: int) -> list[dict[str, Any]]:
    rows = (
        await Client.select(Client.id, Client.release_date, Client.pair)
        .where(walls.condition(Client) & releasing_within(today, days))
        .order_by(Client.release_date)
    )
    return [
        {
            "client_id": r["id"],
            "release_date": r["release_date"],
            "pair_id": r["pair"],
            "days_left": (r["release_date"] - today).days,
        }
        for r in rows
    ]


async def contacts_per_week(walls: TeamScope, period: Period) -> list[dict[str, Any]]:
    """Known clients met (visits with a client) and anonymous people met, per local week."""
    weeks = []
    for monday in period.week_starts:
        start, end = week_bounds(monday)
        row = (
            await Visit.select(Count(Visit.client, alias="known"), Sum(Visit.anonymous_count, alias="anonymous"))
            .where(walls.condition(Visit) & (Visit.occurred_at >= start) & (Visit.occurred_at < end))
            .first()
        )
        assert row is not None  # an aggregate answers one row
        in_groups = await VisitAttendee.count().where(
            walls.condition(VisitAttendee)
            & VisitAttendee.visit.is_in(
                Visit.select(Visit.id).where(
                    walls.condition(Visit) & (Visit.occurred_at >= start) & (Visit.occurred_at < end)
                )
            )
        )
        weeks.append(
            {
                "week_start": monday,
                "week": monday.isocalendar()[1],
                "known": (row["known"] or 0) + in_groups,
                "anonymous": int(row["anonymous"] or 0),
            }
        )
    return weeks


async def themes(walls: TeamScope, period: Period) -> dict[str, int]:
    rows = (
        await VisitTheme.select(VisitTheme.theme, Count(alias="n"))
        .where(
            VisitTheme.visit.team.is_in(walls.team_id_list())
            & (VisitTheme.visit.occurred_at >= period.start)
            & (VisitTheme.visit.occurred_at < period.end)
        )
        .group_by(VisitTheme.theme)
    )
    return dict(sorted(_counts(rows, "theme").items(), key=lambda item: -item[1]))


async def referrals_by_status(walls: TeamScope, period: Period) -> dict[str, int]:
    rows = (
        await Referral.select(Referral.status, Count(alias="n"))
        .where(walls.condition(Referral) & (Referral.referred_on >= period.week_starts[0]))
        .group_by(Referral.status)
    )
    counts = _counts(rows, "status")
    return {status: counts.get(status, 0) for status in REFERRAL_STATUSES}


async def visit_share(walls: TeamScope, period: Period) -> dict[str, int]:
    """Who was there: each worker at a visit counts once, by their role."""
    rows = (
        await VisitWorker.select(VisitWorker.user.role.as_alias("role"), Count(alias="n"))
        .where(
            VisitWorker.visit.team.is_in(walls.team_id_list())
            & (VisitWorker.visit.occurred_at >= period.start)
            & (VisitWorker.visit.occurred_at < period.end)
        )
        .group_by(VisitWorker.user.role)
    )
    counts = _counts(rows, "role")
    return {
        "experience_expert": counts.get("experience_expert", 0),
        "professional": counts.get("professional", 0),
        "other": sum(n for role, n in counts.items() if role not in ("experience_expert", "professional")),
    }


async def reminders(walls: TeamScope, period: Period) -> dict[str, int]:
    rows = (
        await Reminder.select(Reminder.state, Count(alias="n"))
        .where(
            walls.condition(Reminder)
            & (Reminder.audience == "pair")
            & (Reminder.due_at >= period.start)
            & (Reminder.due_at < period.end)
        )
        .group_by(Reminder.state)
    )
    return _counts(rows, "state")


async def dashboard(walls: TeamScope, weeks: int = DEFAULT_WEEKS, today: date | None = None) -> dict[str, Any]:
    today = today or local_today()
    period = Period(today, weeks if weeks in WEEK_CHOICES else DEFAULT_WEEKS)
    team_targets = await targets(walls.team_ids)
    pair_rows = await pairs(walls, team_targets, today)
    per_week = await contacts_per_week(walls, period)
    soon = await releases(walls, today, RELEASE_HORIZONS[-1])
    teams = await Team.select(Team.id, Team.name).where(Team.id.is_in(walls.team_id_list())).order_by(Team.name)
    return {
        "teams": teams,
        "today": today,
        "weeks": period.weeks,
        "period_start": period.week_starts[0],
        "targets": team_targets,
        "pairs": pair_rows,
        "active_clients": sum(p["active_clients"] for p in pair_rows),
        "overdue_followups": sum(p["overdue_followups"] for p in pair_rows),
        "no_contact": sum(p["no_contact"] for p in pair_rows),
        "releases_next_30_days": [r for r in soon if r["days_left"] <= 30],
        "releases_next_90_days": soon,
        "releases_without_plan": await releases_without_plan(walls, today),
        "heavy_clients": sum(p["heavy_clients"] for p in pair_rows),
        "contacts_per_week": per_week,
        "anonymous_contacts_this_week": per_week[-1]["anonymous"],
        "known_contacts_this_week": per_week[-1]["known"],
        "themes": await themes(walls, period),
        "referrals_by_status": await referrals_by_status(walls, period),
        "visit_share": await visit_share(walls, period),
        "reminders": await reminders(walls, period),
        "break_glass": await recent_openings(walls, local_day_bounds(period.week_starts[0])[0]),
    }


# -- the lists behind the numbers --------------------------------------------------------------

DRILLS = ("active", "overdue", "no_contact", "releases30", "releases90", "referral", "theme", "no_release_plan")


async def clients_behind(
    walls: TeamScope,
    drill: str,
    pair: int | None | str = "",
    value: str = "",
    weeks: int = DEFAULT_WEEKS,
    today: date | None = None,
) -> list[dict[str, Any]]:
    """The clients a number counts (pseudonyms: the caller logs them as read)."""
    today = today or local_today()
    period = Period(today, weeks if weeks in WEEK_CHOICES else DEFAULT_WEEKS)
    condition = walls.condition(Client)
    if pair == "none":
        condition &= Client.pair.is_null()
    elif isinstance(pair, int):
        condition &= Client.pair == pair
    if drill == "active":
        condition &= Client.status == "active"
    elif drill == "overdue":
        condition &= Client.id.is_in(
            FollowUp.select(FollowUp.client).where(
                walls.condition(FollowUp) & FollowUp.done_at.is_null() & (FollowUp.due_at < local_day_bounds(today)[0])
            )
        )
    elif drill == "no_contact":
        condition &= _out_of_touch_condition(await targets(walls.team_ids), today)
    elif drill in ("releases30", "releases90"):
        days = int(drill.removeprefix("releases"))
        condition &= (
            (Client.status != "closed")
            & (Client.release_date >= today)
            & (Client.release_date <= today + timedelta(days=days))
        )
    elif drill == "no_release_plan":
        condition &= Client.id.is_in([r["client_id"] for r in await releases_without_plan(walls, today)] or [-1])
    elif drill == "referral" and value in REFERRAL_STATUSES:
        condition &= Client.id.is_in(
            Referral.select(Referral.client).where(
                walls.condition(Referral) & (Referral.status == value) & (Referral.referred_on >= period.week_starts[0])
            )
        )
    elif drill == "theme":
        condition &= Client.id.is_in(
            Visit.select(Visit.client).where(
                walls.condition(Visit)
                & (Visit.occurred_at >= period.start)
                & (Visit.occurred_at < period.end)
                & Visit.id.is_in(VisitTheme.select(VisitTheme.visit).where(VisitTheme.theme == value))
            )
        )
    else:
        return []
    rows = (
        await Client.select(Client.id, Client.pseudonym, Client.status, Client.release_date, Client.pair)
        .where(condition)
        .order_by(
            Client.release_date if drill.startswith("releases") or drill == "no_release_plan" else Client.pseudonym
        )
        .limit(500)
    )
    await _say_why(walls, rows, today)
    if drill == "overdue":  # the longest-waiting first
        rows.sort(key=lambda row: row["oldest_due"] or datetime.max.replace(tzinfo=local_zone()))
    elif drill == "no_contact":  # never met first, then the longest out of touch
        rows.sort(key=lambda row: (row["days_since_contact"] is not None, -(row["days_since_contact"] or 0)))
    return rows


async def _say_why(walls: TeamScope, rows: list[dict[str, Any]], today: date) -> None:
    """Each listed client's pair, open and overdue follow-ups with the oldest due date, and days
    since the last visit: why the client is on the list (dates and counts only)."""
    ids = [row["id"] for row in rows] or [-1]
    names = await pair_names(walls)
    start_of_today = local_day_bounds(today)[0]
    open_followups: dict[int, list[datetime]] = {}
    for followup in (
        await FollowUp.select(FollowUp.client, FollowUp.due_at)
        .where(walls.condition(FollowUp) & FollowUp.client.is_in(ids) & FollowUp.done_at.is_null())
        .order_by(FollowUp.due_at)
    ):
        open_followups.setdefault(followup["client"], []).append(followup["due_at"])
    last_met: dict[int, datetime] = {}
    for visit in (
        await Visit.select(Visit.client, Visit.occurred_at)
        .where(walls.condition(Visit) & Visit.client.is_in(ids))
        .order_by(Visit.occurred_at)
    ):
        last_met[visit["client"]] = visit["occurred_at"]  # ordered: the latest stays
    for row in rows:
        dues = open_followups.get(row["id"], [])
        met = last_met.get(row["id"])
        row.update(
            pair_name=names.get(row["pair"], ""),
            open_followups=len(dues),
            oldest_due=dues[0] if dues else None,
            overdue_followups=sum(1 for due in dues if due < start_of_today),
            days_since_contact=(today - met.astimezone(local_zone()).date()).days if met else None,
            days_to_release=(row["release_date"] - today).days if row["release_date"] else None,
        )


async def pair_names(walls: TeamScope) -> dict[int, str]:
    """ "Alice – Bob" for each pair of the walls, ended ones too (their clients may not be moved yet)."""
    rows = await walls.select(
        Pair,
        Pair.id,
        Pair.first_member.display_name.as_alias("first"),
        Pair.second_member.display_name.as_alias("second"),
    )
    return {row["id"]: f"{row['first']} – {row['second']}" for row in rows}


async def supervision_behind(walls: TeamScope, today: date | None = None) -> list[dict[str, Any]]:
    """The workers of the walls with their supervision rhythm (every 4 weeks; 2 for a new
    experience expert), last session and due day; overdue ones first. Dates only."""
    today = today or local_today()
    people = await (
        walls.select(User, User.id, User.display_name, User.role)
        .where(User.is_active.eq(True) & User.role.is_in(list(WORKER_ROLES)))
        .order_by(User.display_name)
    )
    found = await rhythms([person["id"] for person in people], today)
    pairs_now = await walls.select(Pair, Pair.id, Pair.first_member, Pair.second_member).where(Pair.ended_at.is_null())
    names = await pair_names(walls)
    pair_of = {
        row[member]: names.get(row["id"], "") for row in pairs_now for member in ("first_member", "second_member")
    }
    for person in people:
        current = found[person["id"]]
        person.update(
            rhythm_days=current["days"],
            last=current["last"],
            due=current["due"],
            overdue=current["overdue"],
            days_overdue=max(0, (today - current["due"]).days),
            pair_name=pair_of.get(person["id"], ""),
        )
    people.sort(key=lambda person: (not person["overdue"], person["due"]))
    return people
