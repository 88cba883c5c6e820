"""What a worker's home screen shows: today's follow-ups, appointments and coming releases."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from server.db.prepared import placeholders, statement
from server.scope import TeamScope
from server.timeutil import local_day_bounds, local_today

RELEASE_HORIZON_DAYS = 30


# Reviews falling due come from the pathway, which builds on casework: server/wiring.py hands
# its reader in (walls, mine only) rather than casework importing it.
ReviewsDue = Callable[[TeamScope, bool], Awaitable[list[dict]]]
_REVIEWS_DUE: list[ReviewsDue] = []


def reviews_due_from(reader: ReviewsDue) -> None:
    if reader not in _REVIEWS_DUE:
        _REVIEWS_DUE.append(reader)


@dataclass
class Today:
    followups: list[dict]
    appointments: list[dict]
    releases: list[dict]
    active_clients: int
    reviews_due: list[dict] = field(default_factory=list)  # server.pathway: due within a week or overdue


def _mine(scope: TeamScope, table):
    """A worker in a pair sees the pair's share; leads and admins see the whole scope."""
    condition = scope.condition(table)
    if scope.user.pair_id is not None and not scope.user.is_lead:
        condition &= table.pair == scope.user.pair_id
    return condition


def _mine_sql(scope: TeamScope, alias: str) -> tuple[str, list]:
    """`_mine` as SQL on the table named `alias`, with its parameters."""
    teams = scope.team_id_list()
    sql = f"{alias}.team IN ({placeholders(len(teams))})"
    if scope.user.pair_id is not None and not scope.user.is_lead:
        return f"{sql} AND {alias}.pair = {{}}", [*teams, scope.user.pair_id]
    return sql, teams


# Written as SQL (server/db/prepared.py): building these four with Piccolo cost more CPU than the
# rest of the home page together.
_FOLLOWUPS = """SELECT f.id, f.due_at, f.note, f.done_at, f.client, c.pseudonym AS pseudonym
FROM followup f JOIN client c ON c.id = f.client
WHERE {mine} AND f.done_at IS NULL AND f.due_at < {{}} ORDER BY f.due_at LIMIT 50"""
_APPOINTMENTS = """SELECT a.id, a.starts_at, a.place, a.with_whom, c.id AS client_id, c.pseudonym AS pseudonym
FROM appointment a JOIN client c ON c.id = a.client
WHERE {mine} AND a.cancelled_at IS NULL AND a.starts_at >= {{}} AND a.starts_at < {{}} ORDER BY a.starts_at"""
_RELEASES = """SELECT c.id, c.pseudonym, c.release_date, c.institution FROM client c
WHERE {mine} AND c.status != 'closed' AND c.release_date >= {{}} AND c.release_date <= {{}} ORDER BY c.release_date"""
_ACTIVE = "SELECT COUNT(*) AS n FROM client c WHERE {mine} AND c.status = 'active'"


async def todays_work(scope: TeamScope) -> Today:
    today = local_today()
    day_start, day_end = local_day_bounds(today)
    mine_f, args_f = _mine_sql(scope, "f")
    followups = await statement(_FOLLOWUPS.format(mine=mine_f)).fetch(*args_f, day_end)
    for row in followups:
        row["overdue"] = row["due_at"] < day_start
    mine_a, args_a = _mine_sql(scope, "a")
    appointments = await statement(_APPOINTMENTS.format(mine=mine_a)).fetch(*args_a, day_start, day_end)
    mine_c, args_c = _mine_sql(scope, "c")
    horizon = today + timedelta(days=RELEASE_HORIZON_DAYS)
    releases = await statement(_RELEASES.format(mine=mine_c)).fetch(*args_c, today, horizon)
    for row in releases:
        row["days_left"] = (row["release_date"] - today).days
    active = (await statement(_ACTIVE.format(mine=mine_c)).fetch(*args_c))[0]["n"]
    reviews = [row for reader in _REVIEWS_DUE for row in await reader(scope, not scope.user.is_lead)]
    return Today(
        followups=followups, appointments=appointments, releases=releases, active_clients=active, reviews_due=reviews
    )
