"""Clients in a heavy phase weigh more in a pair's load.

The seeds say one worker carries 20–30 clients only if not many of them need more support at
the same time: the first weeks after release, a crisis, a period going backwards. So a pair's
load counts each active client in a heavy phase `HEAVY_WEIGHT` times:

- a release from prison within 30 days,
- a visit with crisis work within the last 14 days (also a group visit they took part in),
- a review showing decline (server/pathway/reviews.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta

from server.casework.tables import Client, Visit, VisitAction, VisitAttendee
from server.pathway.reviews import clients_with_declining_review
from server.scope import TeamScope
from server.timeutil import local_day_bounds

HEAVY_WEIGHT = 2
RELEASE_DAYS = 30
CRISIS_DAYS = 14


# The review-decline criterion: a function of the team ids giving client ids (a test may swap it).
declining_reviews: Callable[[tuple[int, ...]], Awaitable[set[int]]] = clients_with_declining_review


async def heavy_per_pair(walls: TeamScope, today: date) -> dict[int | None, int]:
    """Active clients in a heavy phase, counted per pair (None: clients no pair carries)."""
    since = local_day_bounds(today - timedelta(days=CRISIS_DAYS))[0]
    crisis_visits = Visit.select(Visit.id).where(
        walls.condition(Visit)
        & (Visit.occurred_at >= since)
        & Visit.id.is_in(VisitAction.select(VisitAction.visit).where(VisitAction.action == "crisis"))
    )
    in_crisis = Visit.select(Visit.client).where(Visit.id.is_in(crisis_visits) & Visit.client.is_not_null())
    in_group_crisis = VisitAttendee.select(VisitAttendee.client).where(VisitAttendee.visit.is_in(crisis_visits))
    heavy = (
        ((Client.release_date >= today) & (Client.release_date <= today + timedelta(days=RELEASE_DAYS)))
        | Client.id.is_in(in_crisis)
        | Client.id.is_in(in_group_crisis)
    )
    declining = await declining_reviews(walls.team_ids)
    if declining:
        heavy |= Client.id.is_in(sorted(declining))
    rows = await Client.select(Client.id, Client.pair).where(
        walls.condition(Client) & (Client.status == "active") & heavy
    )
    counts: dict[int | None, int] = {}
    for row in rows:
        counts[row["pair"]] = counts.get(row["pair"], 0) + 1
    return counts
