"""What the client sees of their path on their own link page, and only with their consent.

The consent is the client's, given and withdrawn on the link page itself (off by default). With
it the page shows the notes written together with the client (a visit's "written together" flag)
and the goals and review progress; a note not written together is never shown there.
"""

from __future__ import annotations

from typing import Any

from server.casework.tables import Appointment, Visit
from server.pathway.charts import progress_chart
from server.pathway.labels import PATH_LABELS
from server.pathway.reviews import progress
from server.pathway.tables import Agreement, Goal, LinkSharing, Review, ReviewScore
from server.timeutil import utcnow

SHOWN_NOTES = 20


async def sharing_on(link_id: int) -> bool:
    row = await LinkSharing.select(LinkSharing.shared_at).where(LinkSharing.link == link_id).first()
    return row is not None and row["shared_at"] is not None


async def set_sharing(link: dict[str, Any], on: bool) -> None:
    now = utcnow()
    values = {LinkSharing.shared_at: now if on else None, LinkSharing.changed_at: now}
    updated = (
        await LinkSharing.update(values)  # type: ignore[arg-type]  # Piccolo's stub: invariant dict
        .where(LinkSharing.link == link["id"])
        .returning(LinkSharing.id)
    )
    if not updated:
        await LinkSharing.insert(
            LinkSharing(link=link["id"], team=link["team"], shared_at=now if on else None, changed_at=now)
        ).on_conflict(target=LinkSharing.link, action="DO NOTHING")


async def together_notes(client_id: int) -> list[dict[str, Any]]:
    """Visit notes written together with the client, newest first: the date and the words only."""
    return await (
        Visit.select(Visit.occurred_at, Visit.notes)
        .where((Visit.client == client_id) & Visit.together_with_client.eq(True) & (Visit.notes != ""))
        .order_by(Visit.occurred_at, ascending=False)
        .limit(SHOWN_NOTES)
    )


async def current_goals(client_id: int) -> dict[str, Any] | None:
    """The agreement in force (else the latest) with its goals, as the client sees them."""
    agreement = await (
        Agreement.select(Agreement.id, Agreement.kind, Agreement.starts_on, Agreement.ends_on, Agreement.status)
        .where(Agreement.client == client_id)
        .order_by(Agreement.starts_on, ascending=False)
        .order_by(Agreement.id, ascending=False)
        .first()
    )
    if agreement is None:
        return None
    agreement["goals"] = (
        await Goal.select(Goal.text, Goal.status).where(Goal.agreement == agreement["id"]).order_by(Goal.position)
    )
    return agreement


async def review_progress(client_id: int) -> list[dict[str, Any]]:
    reviews = (
        await Review.select(Review.id).where(Review.client == client_id).order_by(Review.held_on).order_by(Review.id)
    )
    if not reviews:
        return []
    ids = [reviews[0]["id"], reviews[-1]["id"]]
    scores: dict[int, dict[str, dict[str, Any]]] = {review_id: {} for review_id in ids}
    for row in await ReviewScore.select(
        ReviewScore.review, ReviewScore.area, ReviewScore.score, ReviewScore.word
    ).where(ReviewScore.review.is_in(ids)):
        scores[row["review"]][row["area"]] = {"score": row["score"], "word": row["word"]}
    chosen = [{"scores": scores[ids[0]]}] + ([{"scores": scores[ids[1]]}] if ids[0] != ids[1] else [])
    return progress(chosen)


async def client_view(link: dict[str, Any]) -> dict[str, Any]:
    """The link page's part of the path: empty unless the client has agreed to see it."""
    shared = await sharing_on(link["id"])
    view: dict[str, Any] = {"shared": shared, "LABELS": PATH_LABELS}
    if shared:
        rows = await review_progress(link["client"])
        view.update(
            notes=await together_notes(link["client"]),
            agreement=await current_goals(link["client"]),
            progress=rows,
            chart=progress_chart(rows) if rows else None,
        )
    return view


async def next_appointments(client_id: int, limit: int = 5) -> list[dict[str, Any]]:
    now = utcnow()
    return (
        await Appointment.select(Appointment.starts_at, Appointment.place, Appointment.with_whom)
        .where((Appointment.client == client_id) & Appointment.cancelled_at.is_null() & (Appointment.starts_at > now))
        .order_by(Appointment.starts_at)
        .limit(limit)
    )
