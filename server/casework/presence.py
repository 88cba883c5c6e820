"""Who was there at a visit: the workers ticked present (by default the whole pair), named.

The visit's author is always named too: a visit logged by one member "for the pair" still says
who wrote it, and an old visit stored before workers were ticked still names someone.
"""

from __future__ import annotations

from typing import Any

from piccolo.columns.combination import Or

from server.casework.tables import Visit, VisitWorker
from server.db.prepared import placeholders, statement


def present_at(user_id: int) -> Or:
    """Visits this worker was at: logged by them, or ticked present by their partner."""
    ticked = VisitWorker.select(VisitWorker.visit).where(VisitWorker.user == user_id)
    return (Visit.created_by == user_id) | Visit.id.is_in(ticked)


async def with_present_names(visits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Adds `present_names` (display names, the author first) to each public visit."""
    ids = {user_id for visit in visits for user_id in [*visit["workers"], visit["created_by"]] if user_id}
    if not ids:
        return visits
    sql = f"SELECT id, display_name FROM app_user WHERE id IN ({placeholders(len(ids))})"  # nosec B608 # placeholders only
    names = {row["id"]: row["display_name"] for row in await statement(sql).fetch(*ids)}
    for visit in visits:
        order = [visit["created_by"], *[w for w in visit["workers"] if w != visit["created_by"]]]
        visit["present_names"] = [names[user_id] for user_id in order if user_id in names]
    return visits
