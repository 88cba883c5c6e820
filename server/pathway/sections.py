"""What the client page's "Agreement and goals" and "Reviews" sections show."""

from __future__ import annotations

from typing import Any

from server.audit.uselog import log_client_read
from server.casework.clients import require_client
from server.pathway.agreements import MAX_GOALS, agreements_of_client
from server.pathway.charts import progress_chart
from server.pathway.labels import PATH_LABELS
from server.pathway.reviews import progress, review_due_on, review_months, reviews_of_client
from server.pathway.tables import AGREEMENT_KINDS, GOAL_STATUSES, REVIEW_AREAS
from server.scope import TeamScope
from server.timeutil import local_today


async def path_section(
    walls: TeamScope,
    client_id: int,
    form: str = "",
    errors: dict | None = None,
    values: dict | None = None,
    log_as: str | None = None,
) -> dict[str, Any]:
    """The section's data; `log_as` names the use-log row when the section is shown on its own
    (an htmx swap). On the client page the page's own row covers it: one view, one row."""
    client = await require_client(walls, client_id)
    agreements = await agreements_of_client(walls, client_id, what=None)
    reviews = await reviews_of_client(walls, client_id, what=None)
    if log_as:
        await log_client_read(walls, client_id, client["team"], log_as, object_="agreements,reviews")
    rows = progress(reviews)
    due_on = await review_due_on(client_id, client["team"])
    today = local_today()
    return {
        "client_id": client_id,
        "agreements": agreements,
        "current": next((a for a in agreements if a["status"] == "active"), None),
        "reviews": list(reversed(reviews)),
        "progress": rows,
        "chart": progress_chart(rows) if rows else None,
        "due_on": due_on,
        "overdue": due_on is not None and due_on < today,
        "review_months": await review_months(client["team"]),
        "today": today.isoformat(),
        "form": form,
        "errors": errors or {},
        "typed": values or {},
        "max_goals": MAX_GOALS,
        "AREAS": REVIEW_AREAS,
        "KINDS": AGREEMENT_KINDS,
        "GOAL_STATUSES": GOAL_STATUSES,
        "LABELS": PATH_LABELS,
    }
