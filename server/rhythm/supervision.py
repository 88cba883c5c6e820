"""Work supervision (työnohjaus): each worker's sessions, their rhythm, and a reminder when overdue.

The rhythm is every 4 weeks, every 2 weeks for an experience expert in their first six months
(from `WorkerTerms.started_on`, else the account's creation). The reminder goes to the worker
alone, in the morning of the day the next session falls due, and stays while it is overdue.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from server.accounts.tables import User
from server.db.lifecycle import engine
from server.i18n import N_
from server.push import outbox
from server.push.outbox import Outgoing
from server.rhythm.tables import Supervision, WorkerTerms
from server.scope import CurrentUser
from server.timeutil import local_today, local_zone, to_local
from server.validation import Reader

KINDS = ("individual", "group")
RHYTHM_DAYS = 28
NEW_EXPERT_DAYS = 14
NEW_PERIOD = timedelta(days=183)
REMINDER_HOUR = 9
OVERDUE_REMINDED_FOR = timedelta(days=7)
WORKER_ROLES = ("professional", "experience_expert")


async def add_session(user: CurrentUser, raw: dict[str, Any]) -> dict[str, Any]:
    reader = Reader(raw)
    field = "occurred_at" if "occurred_at" in raw else "occurred_on"  # the API's name, or the form's
    value = raw.get(field)
    if isinstance(value, str) and "T" in value:  # a moment: its day in Helsinki
        moment = reader.moment(field, required=True)
        occurred_on = to_local(moment).date() if moment else None
    else:
        occurred_on = reader.day(field, required=True)
    kind = reader.choice("kind", KINDS)
    supervisor = reader.text("supervisor", 120)
    if occurred_on and occurred_on > local_today():
        reader.fail(field, N_("A session cannot be in the future."))
    reader.done()
    async with engine().transaction():
        rows = await Supervision.insert(
            Supervision(user=user.id, team=user.team_id, occurred_on=occurred_on, kind=kind, supervisor=supervisor)
        ).returning(Supervision.id, Supervision.occurred_on, Supervision.kind, Supervision.supervisor)
        await plan_supervision(user.id)
    return rows[0]


async def own_sessions(user_id: int, limit: int = 50) -> list[dict[str, Any]]:
    return (
        await Supervision.select(Supervision.id, Supervision.occurred_on, Supervision.kind, Supervision.supervisor)
        .where(Supervision.user == user_id)
        .order_by(Supervision.occurred_on, ascending=False)
        .limit(limit)
    )


def _rhythm_of(user: dict[str, Any], started_on: date | None, last_day: date | None, today: date) -> dict[str, Any]:
    started = started_on or to_local(user["created_at"]).date()
    new_expert = user["role"] == "experience_expert" and today - started < NEW_PERIOD
    days = NEW_EXPERT_DAYS if new_expert else RHYTHM_DAYS
    due = (last_day or started) + timedelta(days=days)
    return {
        "days": days,
        "last": last_day,
        "due": due,
        "overdue": due < today,
        "team": user["team"],
        "role": user["role"],
    }


async def rhythm(user_id: int) -> dict[str, Any]:
    """The worker's rhythm in days, their last session and when the next falls due."""
    return (await rhythms([user_id]))[user_id]


async def rhythms(user_ids: list[int], today: date | None = None) -> dict[int, dict[str, Any]]:
    """`rhythm` for many workers in three queries (the lead's lists of people)."""
    if not user_ids:
        return {}
    today = today or local_today()
    users = await User.select(User.id, User.role, User.created_at, User.team).where(User.id.is_in(user_ids))
    terms = await WorkerTerms.select(WorkerTerms.user, WorkerTerms.started_on).where(WorkerTerms.user.is_in(user_ids))
    started = {row["user"]: row["started_on"] for row in terms}
    last = await last_sessions(user_ids)
    return {user["id"]: _rhythm_of(user, started.get(user["id"]), last.get(user["id"]), today) for user in users}


async def plan_supervision(user_id: int) -> None:
    """Keep exactly one pending "supervision due" reminder, for the current due day."""
    current = await rhythm(user_id)
    if current["role"] not in WORKER_ROLES:
        return
    due_day: date = current["due"]
    key = f"supervision:{user_id}:{due_day.isoformat()}"
    async with engine().transaction():
        await outbox.cancel_pending(f"supervision:{user_id}:", keep=key)
        due = datetime.combine(max(due_day, local_today()), time(REMINDER_HOUR), tzinfo=local_zone())
        event_at = datetime.combine(due_day, time.min, tzinfo=local_zone()) + OVERDUE_REMINDED_FOR
        if event_at <= due:
            return  # long overdue: the page says so; a push a month late would only nag
        await outbox.enqueue(
            [
                Outgoing(
                    dedupe_key=key,
                    kind="supervision",
                    audience="user",
                    team=current["team"],
                    user=user_id,
                    event_at=event_at,
                    due_at=due,
                )
            ]
        )


async def plan_all_supervision() -> int:
    rows = await User.select(User.id).where(User.role.is_in(list(WORKER_ROLES)) & User.is_active.eq(True))
    for row in rows:
        await plan_supervision(row["id"])
    return len(rows)


async def last_sessions(user_ids: list[int]) -> dict[int, date]:
    """Each worker's latest session (for the lead's dashboard: dates only)."""
    if not user_ids:
        return {}
    rows = (
        await Supervision.select(Supervision.user, Supervision.occurred_on)
        .where(Supervision.user.is_in(user_ids))
        .order_by(Supervision.occurred_on)
    )
    return {row["user"]: row["occurred_on"] for row in rows}
