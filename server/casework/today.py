"""What a worker's home screen shows: today's follow-ups, appointments and coming releases."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from server.casework.tables import Appointment, Client, FollowUp
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


async def todays_work(scope: TeamScope) -> Today:
    today = local_today()
    day_start, day_end = local_day_bounds(today)
    followups = await (
        FollowUp.select(
            FollowUp.id,
            FollowUp.due_at,
            FollowUp.note,
            FollowUp.done_at,
            FollowUp.client,
            FollowUp.client.pseudonym.as_alias("pseudonym"),
        )
        .where(_mine(scope, FollowUp) & FollowUp.done_at.is_null() & (FollowUp.due_at < day_end))
        .order_by(FollowUp.due_at)
        .limit(50)
    )
    for row in followups:
        row["overdue"] = row["due_at"] < day_start
    appointments = await (
        Appointment.select(
            Appointment.id,
            Appointment.starts_at,
            Appointment.place,
            Appointment.with_whom,
            Appointment.client.id.as_alias("client_id"),
            Appointment.client.pseudonym.as_alias("pseudonym"),
        )
        .where(
            _mine(scope, Appointment)
            & Appointment.cancelled_at.is_null()
            & (Appointment.starts_at >= day_start)
            & (Appointment.starts_at < day_end)
        )
        .order_by(Appointment.starts_at)
    )
    releases = await (
        Client.select(Client.id, Client.pseudonym, Client.release_date, Client.institution)
        .where(
            _mine(scope, Client)
            & (Client.status != "closed")
            & (Client.release_date >= today)
            & (Client.release_date <= today + timedelta(days=RELEASE_HORIZON_DAYS))
        )
        .order_by(Client.release_date)
    )
    for row in releases:
        row["days_left"] = (row["release_date"] - today).days
    active = await Client.count().where(_mine(scope, Client) & (Client.status == "active"))
    reviews = [row for reader in _REVIEWS_DUE for row in await reader(scope, not scope.user.is_lead)]
    return Today(
        followups=followups, appointments=appointments, releases=releases, active_clients=active, reviews_due=reviews
    )
