"""Follow-ups (tehtävät) and appointments (tapaamiset) of a client, kept by the client's pair."""

from __future__ import annotations

from typing import Any

from litestar.exceptions import NotFoundException

from server.audit.uselog import log_client_write
from server.casework import elsewhere
from server.casework.clients import require_client
from server.casework.tables import Appointment, FollowUp
from server.casework.versions import write_if_current
from server.db.lifecycle import engine
from server.db.prepared import column_list, placeholders, statement
from server.scope import TeamScope
from server.timeutil import local_day_bounds, local_today, utcnow
from server.validation import MAX_NOTES, Reader

FOLLOWUP_COLUMNS = (
    FollowUp.id,
    FollowUp.client,
    FollowUp.due_at,
    FollowUp.note,
    FollowUp.done_at,
    FollowUp.visit,
    FollowUp.version,
)
_APPOINTMENT_COLUMNS = (
    Appointment.id,
    Appointment.client,
    Appointment.starts_at,
    Appointment.place,
    Appointment.with_whom,
    Appointment.remind_client,
    Appointment.note,
    Appointment.cancelled_at,
    Appointment.version,
)


def public_followup(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "client_id": row["client"],
        "due_at": row["due_at"],
        "note": row["note"],
        "done": row["done_at"] is not None,
        "done_at": row["done_at"],
        "version": row["version"],
    }


def public_appointment(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "client_id": row["client"],
        "starts_at": row["starts_at"],
        "place": row["place"],
        "with_whom": row["with_whom"],
        "remind_client": row["remind_client"],
        "note": row["note"],
        "cancelled": row["cancelled_at"] is not None,
        "version": row["version"],
    }


async def create_followup(walls: TeamScope, raw: dict[str, Any]) -> dict[str, Any]:
    reader = Reader(raw)
    client_id = reader.row_id("client_id", required=True)
    due_at = reader.moment("due_at", required=True)
    note = reader.text("note", MAX_NOTES, required=True, multiline=True)
    reader.done()
    client = await require_client(walls, client_id)  # type: ignore[arg-type]
    async with engine().transaction():
        rows = await FollowUp.insert(
            FollowUp(
                team=client["team"],
                client=client["id"],
                pair=client["pair"],
                due_at=due_at,
                note=note,
                created_by=walls.user.id,
            )
        ).returning(*FOLLOWUP_COLUMNS)
        await elsewhere.client_changed(client["id"])
        await log_client_write(walls, client["id"], client["team"], "create", f"followup:{rows[0]['id']}")
    return public_followup(rows[0])


async def set_followup_done(
    walls: TeamScope, followup_id: int, done: bool, version: int | None = None
) -> dict[str, Any]:
    """Tick a follow-up done or undone. Without `version` the tick always applies (it cannot
    overwrite anyone's text); with one, a stale version raises StaleVersion and writes nothing."""
    followup = await walls.get(FollowUp, followup_id, FollowUp.id, FollowUp.team)
    values = (
        {FollowUp.done_at: utcnow(), FollowUp.done_by: walls.user.id}
        if done
        else {FollowUp.done_at: None, FollowUp.done_by: None}
    )
    async with engine().transaction():
        await write_if_current(FollowUp, followup_id, version, values, walls.condition(FollowUp))
        row = await FollowUp.select(*FOLLOWUP_COLUMNS).where(FollowUp.id == followup_id).first()
        assert row is not None  # written just above in this transaction
        await elsewhere.client_changed(row["client"])  # a done follow-up is not reminded; undone, it is again
        await log_client_write(walls, row["client"], followup["team"], "status", f"followup:{followup_id}")
    return public_followup(row)


async def followup_with_client(walls: TeamScope, followup_id: int) -> dict[str, Any]:
    row = (
        await walls.select(FollowUp, *FOLLOWUP_COLUMNS, FollowUp.client.pseudonym.as_alias("pseudonym"))
        .where(FollowUp.id == followup_id)
        .first()
    )
    if row is None:
        raise NotFoundException()
    row["overdue"] = row["due_at"] < local_day_bounds(local_today())[0]
    return row


async def create_appointment(walls: TeamScope, raw: dict[str, Any]) -> dict[str, Any]:
    reader = Reader(raw)
    client_id = reader.row_id("client_id", required=True)
    starts_at = reader.moment("starts_at", required=True)
    place = reader.text("place")
    with_whom = reader.text("with_whom")
    note = reader.text("note", MAX_NOTES, multiline=True)
    remind_client = reader.flag("remind_client")
    reader.done()
    client = await require_client(walls, client_id)  # type: ignore[arg-type]
    async with engine().transaction():
        rows = await Appointment.insert(
            Appointment(
                team=client["team"],
                client=client["id"],
                pair=client["pair"],
                starts_at=starts_at,
                place=place,
                with_whom=with_whom,
                remind_client=remind_client,
                note=note,
                created_by=walls.user.id,
            )
        ).returning(*_APPOINTMENT_COLUMNS)
        await elsewhere.client_changed(client["id"])
        await log_client_write(walls, client["id"], client["team"], "create", f"appointment:{rows[0]['id']}")
    return public_appointment(rows[0])


async def appointment(walls: TeamScope, appointment_id: int) -> dict[str, Any]:
    return await walls.get(Appointment, appointment_id, *_APPOINTMENT_COLUMNS)


# The client page's lists as SQL written once per shape (server/db/prepared.py).
async def client_followups(walls: TeamScope, client_id: int) -> list[dict[str, Any]]:
    teams = walls.team_id_list()
    return await statement(
        f"SELECT {column_list(FOLLOWUP_COLUMNS, 'f')} FROM followup f "  # nosec B608 # column names and placeholders only
        f"WHERE f.team IN ({placeholders(len(teams))}) AND f.client = {{}} ORDER BY f.due_at DESC LIMIT 50"
    ).fetch(*teams, client_id)


async def client_appointments(walls: TeamScope, client_id: int) -> list[dict[str, Any]]:
    teams = walls.team_id_list()
    return await statement(
        f"SELECT {column_list(_APPOINTMENT_COLUMNS, 'a')} FROM appointment a "  # nosec B608 # column names and placeholders only
        f"WHERE a.team IN ({placeholders(len(teams))}) AND a.client = {{}} AND a.cancelled_at IS NULL "
        "ORDER BY a.starts_at DESC LIMIT 50"
    ).fetch(*teams, client_id)


async def list_followups(
    walls: TeamScope, client_id: int | None, done: bool | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    condition = walls.condition(FollowUp)
    if client_id is not None:
        await require_client(walls, client_id)
        condition &= FollowUp.client == client_id
    if done is not None:
        condition &= FollowUp.done_at.is_not_null() if done else FollowUp.done_at.is_null()
    total = await FollowUp.count().where(condition)
    rows = await (
        FollowUp.select(*FOLLOWUP_COLUMNS).where(condition).order_by(FollowUp.due_at).limit(limit).offset(offset)
    )
    return [public_followup(row) for row in rows], total


async def list_appointments(
    walls: TeamScope, client_id: int | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    condition = walls.condition(Appointment) & Appointment.cancelled_at.is_null()
    if client_id is not None:
        await require_client(walls, client_id)
        condition &= Appointment.client == client_id
    total = await Appointment.count().where(condition)
    rows = await (
        Appointment.select(*_APPOINTMENT_COLUMNS)
        .where(condition)
        .order_by(Appointment.starts_at)
        .limit(limit)
        .offset(offset)
    )
    return [public_appointment(row) for row in rows], total
