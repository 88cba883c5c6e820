"""The reminder outbox: the one module that puts reminder rows in and takes them back.

Whoever wants a push later (the planner for a client's casework, rhythm for debriefs and
supervision, the test button) describes it as an `Outgoing` and calls `enqueue`; a reminder no
longer wanted is cancelled, one wanted again is rescheduled. The dispatcher only claims what is
due and records what happened to it. Keeping the writes here keeps one meaning of "pending".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from piccolo.custom_types import Combinable
from piccolo.query.functions.aggregate import Count

from server.observability import metrics
from server.push.tables import Reminder, ReminderDelivery
from server.timeutil import utcnow


@dataclass(frozen=True)
class Outgoing:
    """One push to send at `due_at`; pointless after `event_at`. A `dedupe_key` already in the
    outbox (in any state) keeps its row: enqueueing the same reminder twice sends it once."""

    dedupe_key: str
    kind: str
    audience: str  # pair, client or user
    due_at: datetime
    event_at: datetime
    team: int | None = None
    client: int | None = None
    user: int | None = None
    subject_id: int | None = None
    urgent: bool = False
    created_at: datetime | None = None


def _row(item: Outgoing) -> Reminder:
    return Reminder(
        dedupe_key=item.dedupe_key,
        kind=item.kind,
        audience=item.audience,
        team=item.team,
        client=item.client,
        user=item.user,
        subject_id=item.subject_id,
        event_at=item.event_at,
        due_at=item.due_at,
        next_attempt_at=item.due_at,
        urgent=item.urgent,
        created_at=item.created_at or utcnow(),
    )


async def enqueue(items: Sequence[Outgoing]) -> list[int]:
    """Add the reminders that are not in the outbox yet; the ids of the rows made."""
    if not items:
        return []
    rows = (
        await Reminder.insert(*[_row(item) for item in items])
        .on_conflict(target=Reminder.dedupe_key, action="DO NOTHING")
        .returning(Reminder.id)
    )
    return [row["id"] for row in rows]


async def _cancel(condition: Combinable) -> None:
    # A claimed one loses its lease too: its dispatcher then finds it cancelled and leaves it so.
    await Reminder.update({Reminder.state: "cancelled", Reminder.locked_until: None}).where(condition)


async def cancel(reminder_ids: Sequence[int]) -> None:
    """These reminders are no longer wanted (also one being sent right now)."""
    if reminder_ids:
        await _cancel(Reminder.id.is_in(list(reminder_ids)))


async def cancel_pending(key_prefix: str, *, keep: str = "", created_by: datetime | None = None) -> None:
    """Cancel the pending reminders whose key starts with `key_prefix`: all of them, all but the
    one keyed `keep`, or those made at or before `created_by`."""
    condition: Combinable = Reminder.dedupe_key.like(f"{key_prefix}%") & (Reminder.state == "pending")
    if keep:
        condition &= Reminder.dedupe_key != keep
    if created_by is not None:
        condition &= Reminder.created_at <= created_by
    await _cancel(condition)


async def reschedule(reminder_id: int, item: Outgoing) -> None:
    """A cancelled reminder wanted again (a date moved back, a follow-up undone): pending anew."""
    await Reminder.update(
        {
            Reminder.state: "pending",
            Reminder.due_at: item.due_at,
            Reminder.next_attempt_at: item.due_at,
            Reminder.event_at: item.event_at,
            Reminder.urgent: item.urgent,
            Reminder.attempts: 0,
            Reminder.devices: 0,
            Reminder.last_error: "",
            Reminder.claim: "",
        }
    ).where((Reminder.id == reminder_id) & (Reminder.state == "cancelled"))


async def follow_team(client_id: int, team_id: int) -> None:
    """A client moved to another team: their pending reminders go to that team's pair."""
    await Reminder.update({Reminder.team: team_id}).where(
        (Reminder.client == client_id) & (Reminder.state == "pending") & (Reminder.team != team_id)
    )


async def forget_client(client_id: int) -> None:
    """A purged client: their reminders and the record of their deliveries go."""
    reminders = Reminder.select(Reminder.id).where(Reminder.client == client_id)
    await ReminderDelivery.delete().where(ReminderDelivery.reminder.is_in(reminders))
    await Reminder.delete().where(Reminder.client == client_id)


async def outbox_figures() -> None:
    """The outbox as it is now, for /metrics (read at scrape time, for the whole installation)."""
    now = utcnow()
    metrics.REMINDERS.clear()
    for row in await Reminder.select(Reminder.state, Count(alias="n")).group_by(Reminder.state):
        metrics.REMINDERS.labels(row["state"]).set(row["n"])
    metrics.QUEUE.set(await Reminder.count().where((Reminder.state == "pending") & (Reminder.next_attempt_at <= now)))
    metrics.RETRIED.set(await Reminder.count().where(Reminder.attempts > 1))
