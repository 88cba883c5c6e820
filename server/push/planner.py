"""Reminder planning: the reminders a client's casework calls for, kept in step with it.

`plan_client` recomputes one client's reminders from their follow-ups, appointments, release
date and referrals and reconciles the outbox: new moments are inserted under their dedupe key
(planning again makes nothing twice, and a reminder already sent is not sent again), pending ones
the casework no longer calls for are cancelled. A moved date makes a new key, so the new date
gets its reminders. It runs inside the transaction of the change that called for it.

A moment that had already passed when planned (a client added a week before release, an
appointment booked for the same afternoon, a follow-up that arrived by sync) is not sent late in
a burst: of a group's passed moments only the latest is kept, due at once, and only while its
event still lies ahead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from piccolo.custom_types import Combinable

from server.casework.tables import Appointment, Client, FollowUp
from server.db.lifecycle import engine
from server.push import outbox
from server.push.outbox import Outgoing
from server.push.rules import Rules, team_rules
from server.push.tables import Reminder
from server.services.tables import Referral
from server.settings import get_settings
from server.timeutil import local_day_bounds, local_zone, to_local, utcnow

COUNTDOWN_HOUR = 9  # days before a release: in the working morning
RELEASE_DAY_HOUR = 7  # the day itself: early, before the gate opens
FOLLOWUP_LATE_WINDOW = timedelta(hours=24)
URGENT_WITHIN = timedelta(hours=6)  # an overdue follow-up older than this is not reminded


@dataclass(frozen=True)
class Planned:
    dedupe_key: str
    kind: str
    audience: str
    group: str
    due_at: datetime
    event_at: datetime
    urgent: bool = False
    subject_id: int | None = None


def _at_local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=local_zone())


def _stamp(moment: datetime) -> str:
    return moment.astimezone(local_zone()).strftime("%Y%m%dT%H%M")


def _soon(due: datetime, event: datetime) -> bool:
    """A same-day reminder (or one a few hours before, across midnight): urgent, never held."""
    return to_local(due).date() == to_local(event).date() or event - due <= URGENT_WITHIN


def after_quiet_hours(moment: datetime) -> datetime:
    """A non-urgent reminder to workers that falls in quiet hours waits for their end (local time)."""
    quiet = get_settings().quiet_hours
    if quiet is None:
        return moment
    start, end = quiet
    local = to_local(moment)
    hour = local.hour
    inside = (start <= hour or hour < end) if start > end else (start <= hour < end)
    if not inside:
        return moment
    day = local.date() if hour < end else local.date() + timedelta(days=1)
    return max(moment, _at_local(day, end))


def held(due: datetime, event_at: datetime) -> datetime:
    """Quiet hours for a non-urgent reminder to workers, unless waiting would miss the event:
    better a late-evening reminder than none."""
    waited = after_quiet_hours(due)
    return waited if waited < event_at else due


def release_reminders(client_id: int, release_day: date, rules: Rules) -> list[Planned]:
    event_end = local_day_bounds(release_day)[1]
    planned = []
    for days in rules.release_days:
        day = release_day - timedelta(days=days)
        due = _at_local(day, RELEASE_DAY_HOUR if days == 0 else COUNTDOWN_HOUR)
        planned.append(
            Planned(
                f"release:{client_id}:{release_day.isoformat()}:{days}d",
                "release",
                "pair",
                f"release:{client_id}",
                due if days == 0 else held(due, event_end),
                event_end,
                urgent=days == 0,
                subject_id=client_id,
            )
        )
    return planned


def followup_reminder(row: dict[str, Any], referral_followups: set[int], rules: Rules) -> list[Planned]:
    is_referral = row["id"] in referral_followups
    if not (rules.referral_check if is_referral else rules.followups):
        return []
    due = row["due_at"]
    waited = after_quiet_hours(due)
    # A task due late in the evening is as useful the next morning: it lasts to the end of that day.
    return [
        Planned(
            f"followup:{row['id']}:{_stamp(due)}",
            "referral" if is_referral else "followup",
            "pair",
            f"followup:{row['id']}",
            waited,
            local_day_bounds(to_local(waited).date())[1],
            subject_id=row["id"],
        )
    ]


def appointment_reminders(row: dict[str, Any], rules: Rules) -> list[Planned]:
    starts, stamp, planned = row["starts_at"], _stamp(row["starts_at"]), []
    if rules.appointment_pair_minutes:
        due = starts - timedelta(minutes=rules.appointment_pair_minutes)
        urgent = _soon(due, starts)
        planned.append(
            Planned(
                f"appt:{row['id']}:{stamp}:pair{rules.appointment_pair_minutes}m",
                "appointment",
                "pair",
                f"appt:{row['id']}:pair",
                due if urgent else held(due, starts),
                starts,
                urgent=urgent,
                subject_id=row["id"],
            )
        )
    if row["remind_client"]:
        for hours in rules.appointment_client_hours:
            due = starts - timedelta(hours=hours)
            planned.append(
                Planned(
                    f"appt:{row['id']}:{stamp}:client{hours}h",
                    "appointment_client",
                    "client",
                    f"appt:{row['id']}:client",
                    due,
                    starts,
                    urgent=_soon(due, starts),
                    subject_id=row["id"],
                )
            )
    return planned


def drop_passed(planned: list[Planned], now: datetime) -> list[Planned]:
    """Of each group's moments already passed, keep only the latest, due now, while its event lies ahead."""
    kept: list[Planned] = []
    latest_passed: dict[str, Planned] = {}
    for item in planned:
        if item.due_at > now:
            kept.append(item)
        elif item.event_at > now:
            current = latest_passed.get(item.group)
            if current is None or item.due_at > current.due_at:
                latest_passed[item.group] = item
    # A passed moment waits no longer than quiet hours (for workers, when not urgent).
    return kept + [
        replace(item, due_at=now if item.urgent or item.audience != "pair" else held(now, item.event_at))
        for item in latest_passed.values()
    ]


# Reminders that domains built on push plan for a client too (the path's agreement and review
# dates). server/wiring.py hands them in; planning before it has would cancel theirs, so it refuses.
ReminderSource = Callable[[dict[str, Any], datetime], Awaitable[list[Planned]]]
_SOURCES: list[list[ReminderSource]] = []


def plan_also(*sources: ReminderSource) -> None:
    _SOURCES[:] = [list(sources)]


def _other_sources() -> list[ReminderSource]:
    if not _SOURCES:
        raise RuntimeError("the planner's other reminder sources are not wired: call server.wiring.wire() at start")
    return _SOURCES[0]


async def desired_reminders(client: dict[str, Any], now: datetime) -> list[Planned]:
    if client["status"] == "closed":
        return []
    rules = await team_rules(client["team"])
    planned: list[Planned] = []
    if client["release_date"] is not None:
        planned += release_reminders(client["id"], client["release_date"], rules)
    followups = await FollowUp.select(FollowUp.id, FollowUp.due_at).where(
        (FollowUp.client == client["id"]) & FollowUp.done_at.is_null() & (FollowUp.due_at > now - FOLLOWUP_LATE_WINDOW)
    )
    if followups:
        referral_rows = await Referral.select(Referral.followup).where(
            Referral.followup.is_in([row["id"] for row in followups])
        )
        referral_followups = {row["followup"] for row in referral_rows}
        for row in followups:
            planned += followup_reminder(row, referral_followups, rules)
    appointments = await Appointment.select(Appointment.id, Appointment.starts_at, Appointment.remind_client).where(
        (Appointment.client == client["id"]) & Appointment.cancelled_at.is_null() & (Appointment.starts_at > now)
    )
    for row in appointments:
        planned += appointment_reminders(row, rules)
    for source in _other_sources():
        planned += await source(client, now)
    return drop_passed(planned, now)


async def plan_client(client_id: int) -> None:
    """Bring one client's pending reminders in step with their casework (idempotent)."""
    async with engine().transaction():
        client = (
            await Client.select(Client.id, Client.team, Client.status, Client.release_date)
            .where(Client.id == client_id)
            .first()
        )
        if client is None:
            return
        now = utcnow()
        wanted = {item.dedupe_key: item for item in await desired_reminders(client, now)}
        planned = await Reminder.select(Reminder.id, Reminder.dedupe_key, Reminder.state).where(
            (Reminder.client == client_id)
            & Reminder.state.is_in(["pending", "sending", "cancelled"])
            & Reminder.audience.is_in(["pair", "client"])
        )
        # Also one being sent right now: its dispatcher then finds it cancelled and leaves it so.
        await outbox.cancel(
            [row["id"] for row in planned if row["dedupe_key"] not in wanted and row["state"] != "cancelled"]
        )
        # Wanted again (a date moved back, a follow-up undone, a client reopened): pending anew.
        for row in planned:
            if row["state"] == "cancelled" and row["dedupe_key"] in wanted:
                await outbox.reschedule(row["id"], _outgoing(wanted[row["dedupe_key"]], client["team"], client_id, now))
        if wanted:
            await outbox.enqueue([_outgoing(item, client["team"], client_id, now) for item in wanted.values()])
            await outbox.follow_team(client_id, client["team"])


def _outgoing(item: Planned, team_id: int, client_id: int, now: datetime) -> Outgoing:
    return Outgoing(
        dedupe_key=item.dedupe_key,
        kind=item.kind,
        audience=item.audience,
        due_at=item.due_at,
        event_at=item.event_at,
        team=team_id,
        client=client_id,
        subject_id=item.subject_id,
        urgent=item.urgent,
        created_at=now,
    )


async def plan_all_clients(team_id: int | None = None, batch: int = 500) -> int:
    """Plan every open client (after an upgrade, a bulk import or a change of the team's rules)."""
    condition: Combinable = Client.status != "closed"
    if team_id is not None:
        condition &= Client.team == team_id
    last_id, count = 0, 0
    while True:
        rows = await Client.select(Client.id).where(condition & (Client.id > last_id)).order_by(Client.id).limit(batch)
        if not rows:
            return count
        for row in rows:
            await plan_client(row["id"])
        count += len(rows)
        last_id = rows[-1]["id"]
