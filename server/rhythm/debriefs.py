"""Debriefs (purku): a pair talks a shift through. The words belong to the pair alone.

Every read of notes goes through `_own`, the pair's (or a pairless worker's own) wall; a lead
sees only that a debrief happened, when, and the requests to talk with the lead.
A crisis visit with no debrief by the next morning reminds both partners (server/push).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from litestar.exceptions import NotFoundException

from server.accounts.tables import Pair
from server.db.lifecycle import engine
from server.i18n import N_
from server.push import outbox
from server.push.outbox import Outgoing
from server.rhythm.tables import Debrief, DebriefNote
from server.scope import CurrentUser, TeamScope
from server.timeutil import local_zone, to_local, utcnow
from server.validation import MAX_NOTES, Reader

REMINDER_HOUR = 9  # the morning after the shift


def _own(user: CurrentUser):
    if user.pair_id is not None:
        return Debrief.pair == user.pair_id
    return (Debrief.owner == user.id) & Debrief.pair.is_null()


def _read_note(raw: dict[str, Any]) -> tuple[Reader, dict[str, Any]]:
    reader = Reader(raw)
    note = {
        "load": reader.integer("load", 1, 5),
        "what_happened": reader.text("notes", MAX_NOTES, multiline=True),
        "what_helped": reader.text("helped", MAX_NOTES, multiline=True),
        "wants_lead_contact": reader.flag("wants_lead_contact"),
    }
    if note["load"] is None and "load" not in reader.errors:
        reader.fail("load", "This field is required.")
    return reader, note


async def start_debrief(user: CurrentUser, raw: dict[str, Any]) -> dict[str, Any]:
    reader, note = _read_note(raw)
    occurred_at = reader.moment("occurred_at", default=utcnow())
    if occurred_at and occurred_at > utcnow() + timedelta(hours=1):
        reader.fail("occurred_at", N_("A debrief cannot be in the future."))
    reader.done()
    assert occurred_at is not None  # it has a default, and a bad one was refused above
    async with engine().transaction():
        rows = await Debrief.insert(
            Debrief(
                team=user.team_id,
                pair=user.pair_id,
                owner=user.id,
                occurred_at=occurred_at,
                wants_lead_contact=note["wants_lead_contact"],
            )
        ).returning(Debrief.id)
        debrief_id = rows[0]["id"]
        await DebriefNote.insert(DebriefNote(debrief=debrief_id, author=user.id, **note))
        if user.pair_id is not None:
            await _talked_through(user.pair_id, occurred_at)
    return await debrief(user, debrief_id)


async def add_note(user: CurrentUser, debrief_id: int, raw: dict[str, Any]) -> dict[str, Any]:
    await _get_own(user, debrief_id)
    reader, note = _read_note(raw)
    reader.done()
    async with engine().transaction():
        await DebriefNote.insert(DebriefNote(debrief=debrief_id, author=user.id, **note))
        if note["wants_lead_contact"]:
            await Debrief.update({Debrief.wants_lead_contact: True, Debrief.lead_contact_done_at: None}).where(
                Debrief.id == debrief_id
            )
    return await debrief(user, debrief_id)


async def _get_own(user: CurrentUser, debrief_id: int) -> dict[str, Any]:
    row = (
        await Debrief.select().where(_own(user) & (Debrief.id == debrief_id)).first()
        if 1 <= debrief_id <= 2**31 - 1
        else None
    )
    if row is None:
        raise NotFoundException()
    return row


async def debrief(user: CurrentUser, debrief_id: int) -> dict[str, Any]:
    return (await own_debriefs(user, only=debrief_id))[0]


async def own_debriefs(user: CurrentUser, limit: int = 30, only: int | None = None) -> list[dict[str, Any]]:
    condition = _own(user)
    if only is not None:
        condition &= Debrief.id == only
    rows = (
        await Debrief.select(Debrief.id, Debrief.occurred_at, Debrief.wants_lead_contact, Debrief.lead_contact_done_at)
        .where(condition)
        .order_by(Debrief.occurred_at, ascending=False)
        .limit(limit)
    )
    if not rows:
        if only is not None:
            raise NotFoundException()
        return []
    notes = (
        await DebriefNote.select(
            DebriefNote.debrief,
            DebriefNote.author,
            DebriefNote.author.display_name.as_alias("author_name"),
            DebriefNote.load,
            DebriefNote.what_happened,
            DebriefNote.what_helped,
            DebriefNote.wants_lead_contact,
            DebriefNote.created_at,
        )
        .where(DebriefNote.debrief.is_in([r["id"] for r in rows]))
        .order_by(DebriefNote.id)
    )
    for row in rows:
        row["notes"] = [n for n in notes if n["debrief"] == row["id"]]
    return rows


# -- the lead's view: that it happened, and who wants to talk -------------------------------------


async def lead_requests(walls: TeamScope) -> list[dict[str, Any]]:
    """Open "talk with the lead" requests: the date and who asked, never a word of the debrief."""
    rows = (
        await walls.select(Debrief, Debrief.id, Debrief.occurred_at, Debrief.pair)
        .where(Debrief.wants_lead_contact.eq(True) & Debrief.lead_contact_done_at.is_null())
        .order_by(Debrief.occurred_at)
    )
    if rows:
        askers = await DebriefNote.select(DebriefNote.debrief, DebriefNote.author.display_name.as_alias("name")).where(
            DebriefNote.debrief.is_in([r["id"] for r in rows]) & DebriefNote.wants_lead_contact.eq(True)
        )
        for row in rows:
            row["asked_by"] = sorted({a["name"] for a in askers if a["debrief"] == row["id"]})
    return rows


async def mark_contacted(walls: TeamScope, debrief_id: int) -> None:
    await walls.get(Debrief, debrief_id, Debrief.id)
    await Debrief.update({Debrief.lead_contact_done_at: utcnow()}).where(
        (Debrief.id == debrief_id) & walls.condition(Debrief)
    )


# -- the reminder after a crisis ------------------------------------------------------------------


def _key_prefix(pair_id: int) -> str:
    return f"debrief:{pair_id}:"


async def remind_to_debrief(pair_id: int, team_id: int, crisis_at: datetime) -> None:
    """A crisis visit: both partners are reminded the next morning, unless they debrief first."""
    day = to_local(crisis_at).date()
    if await Debrief.exists().where((Debrief.pair == pair_id) & (Debrief.occurred_at >= crisis_at)):
        return  # already talked through (a visit that arrived late by sync)
    pair = await Pair.select(Pair.first_member, Pair.second_member).where(Pair.id == pair_id).first()
    if pair is None:
        return
    due = datetime.combine(day + timedelta(days=1), time(REMINDER_HOUR), tzinfo=local_zone())
    await outbox.enqueue(
        [
            Outgoing(
                dedupe_key=f"{_key_prefix(pair_id)}{day.isoformat()}:{user}",
                kind="debrief",
                audience="user",
                team=team_id,
                user=user,
                event_at=due + timedelta(hours=12),
                due_at=due,
                created_at=crisis_at,
            )  # the crisis's time: a debrief after it covers it
            for user in (pair["first_member"], pair["second_member"])
        ]
    )


async def _talked_through(pair_id: int, occurred_at: datetime) -> None:
    """A debrief covers the crisis reminders of crises before it (not one later the same day)."""
    await outbox.cancel_pending(_key_prefix(pair_id), created_by=occurred_at)
