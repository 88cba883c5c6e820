"""The path's reminders to the pair, planned with the rest of a client's (server.push.planner):
an agreement ending within 30 days, and a review falling due. The lock screen names no one."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from server.pathway.reviews import review_due_on
from server.pathway.tables import Agreement
from server.push.planner import COUNTDOWN_HOUR, Planned, _at_local, held
from server.timeutil import local_day_bounds, local_today

AGREEMENT_NOTICE_DAYS = 30
REVIEW_STILL_USEFUL = timedelta(days=30)
OVERDUE_NOTICE = timedelta(days=1)  # a review long overdue (an agreement entered late) still gets one reminder


async def path_reminders(client: dict[str, Any], now: datetime) -> list[Any]:
    today = local_today()
    planned = []
    agreements = await Agreement.select(Agreement.id, Agreement.ends_on).where(
        (Agreement.client == client["id"]) & (Agreement.status == "active") & (Agreement.ends_on >= today)
    )
    for row in agreements:
        ends: date = row["ends_on"]
        event_end = local_day_bounds(ends)[1]
        due = _at_local(ends - timedelta(days=AGREEMENT_NOTICE_DAYS), COUNTDOWN_HOUR)
        planned.append(
            Planned(
                f"agreement:{row['id']}:{ends.isoformat()}:{AGREEMENT_NOTICE_DAYS}d",
                "agreement_end",
                "pair",
                f"agreement:{row['id']}",
                held(due, event_end),
                event_end,
                subject_id=row["id"],
            )
        )
    due_on = await review_due_on(client["id"], client["team"], today)
    if due_on is not None:
        due = _at_local(due_on, COUNTDOWN_HOUR)
        event = max(local_day_bounds(due_on)[1] + REVIEW_STILL_USEFUL, now + OVERDUE_NOTICE)
        planned.append(
            Planned(
                f"review:{client['id']}:{due_on.isoformat()}",
                "review_due",
                "pair",
                f"review:{client['id']}",
                held(due, event),
                event,
                subject_id=client["id"],
            )
        )
    return planned
