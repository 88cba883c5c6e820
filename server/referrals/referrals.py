"""Referrals (ohjaukset): a client guided to a service, followed until they really got there.

Status moves forward only: referred → contacted → attended / not_attended / cancelled, and a step
may skip `contacted`; nothing leaves an outcome. Every referral gets a follow-up a week later,
"did the client get there?", for the pair; reaching an outcome ticks it done.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from litestar.exceptions import HTTPException

from server.audit.disclosures import log_referral_disclosure
from server.audit.glass import client_within_walls, within_walls
from server.audit.uselog import log_client_write
from server.casework import elsewhere
from server.casework.clients import require_client
from server.casework.tables import FollowUp, Visit
from server.db.lifecycle import engine
from server.db.prepared import column_list, placeholders, statement
from server.i18n import N_, current_language
from server.i18n import gettext as _
from server.scope import TeamScope
from server.services.tables import OUTCOMES, REFERRAL_STATUSES, Referral, Service
from server.timeutil import local_today, local_zone, utcnow
from server.validation import InvalidInput, Reader

FOLLOW_UP_AFTER = timedelta(days=7)
FOLLOW_UP_HOUR = 9
NEXT_STEPS = {"referred": ("contacted", *OUTCOMES), "contacted": OUTCOMES}
MAX_NOTE = 500

_COLUMNS = (
    Referral.id,
    Referral.client,
    Referral.service,
    Referral.visit,
    Referral.followup,
    Referral.note,
    Referral.status,
    Referral.referred_on,
    Referral.contacted_on,
    Referral.closed_on,
    Referral.created_by,
    Referral.service.name_fi.as_alias("service_name_fi"),
    Referral.service.name_sv.as_alias("service_name_sv"),
    Referral.service.name_en.as_alias("service_name_en"),
    Referral.service.phone.as_alias("service_phone"),
    Referral.visit.uuid.as_alias("visit_uuid"),
    Referral.uuid,
)


class ReferralIdTaken(HTTPException):
    status_code = 409
    detail = "This referral id is already used"


class StepNotAllowed(HTTPException):
    status_code = 409
    detail = "A referral moves only forward, and not from an outcome."


def next_steps(status: str) -> tuple[str, ...]:
    return NEXT_STEPS.get(status, ())


def public_referral(row: dict[str, Any], language: str = "fi") -> dict[str, Any]:
    return {
        "id": row["id"],
        "uuid": str(row["uuid"]) if row.get("uuid") else None,
        "client_id": row["client"],
        "service_id": row["service"],
        "service_name": row.get(f"service_name_{language}") or row.get("service_name_fi"),
        "service_phone": row.get("service_phone") or "",
        "visit_id": str(row["visit_uuid"]) if row.get("visit_uuid") else None,
        "followup_id": row["followup"],
        "note": row["note"],
        "status": row["status"],
        "referred_on": row["referred_on"],
        "contacted_on": row["contacted_on"],
        "closed_on": row["closed_on"],
        "next_steps": list(next_steps(row["status"])),
        "created_by": row["created_by"],
    }


async def _visit_of_client(walls: TeamScope, visit_uuid: Any, client_id: int) -> int | None:
    if visit_uuid is None:
        return None
    visit = await walls.select(Visit, Visit.id, Visit.client).where(Visit.uuid == visit_uuid).first()
    if visit is None or visit["client"] != client_id:
        raise InvalidInput({"visit_id": N_("Not a visit with this client.")})
    return visit["id"]


async def require_service(service_id: int, field: str = "service_id") -> dict[str, Any]:
    service = await Service.select(Service.id).where((Service.id == service_id) & Service.active.eq(True)).first()
    if service is None:
        raise InvalidInput({field: N_("No such service in the directory.")})
    return service


async def insert_referral(
    client: dict[str, Any], service_id: int, note: str, visit_pk: int | None, author: int, referral_uuid: Any = None
) -> int:
    """The referral and its week-later follow-up; inside the caller's transaction."""
    due = datetime.combine(local_today() + FOLLOW_UP_AFTER, time(FOLLOW_UP_HOUR), tzinfo=local_zone())
    followup = await FollowUp.insert(
        FollowUp(
            team=client["team"],
            client=client["id"],
            pair=client["pair"],
            due_at=due,
            created_by=author,
            # Not tied to the visit: the visit's own follow-up is the one its `followup_id` names.
            note=_("Did the client get to the service? (referral)"),
        )
    ).returning(FollowUp.id)
    rows = await Referral.insert(
        Referral(
            uuid=referral_uuid,
            team=client["team"],
            client=client["id"],
            service=service_id,
            visit=visit_pk,
            followup=followup[0]["id"],
            note=note,
            status="referred",
            referred_on=local_today(),
            created_by=author,
        )
    ).returning(Referral.id)
    service = await Service.select(Service.name_fi).where(Service.id == service_id).first()
    await log_referral_disclosure(author, client, service["name_fi"] if service else str(service_id))
    return rows[0]["id"]


async def create_referral(walls: TeamScope, raw: dict[str, Any]) -> dict[str, Any]:
    reader = Reader(raw)
    client_id = reader.row_id("client_id", required=True)
    service_id = reader.row_id("service_id", required=True)
    note = reader.text("note", MAX_NOTE, multiline=True)
    visit_uuid = reader.uuid("visit_id")
    referral_uuid = reader.uuid("id")  # made on the phone when the referral was queued offline
    reader.done()
    if referral_uuid is not None:
        stored = await _stored_with_id(walls, referral_uuid)
        if stored is not None:  # a replay: the referral is made already, whatever moved since
            return stored
    client = await client_within_walls(walls, client_id, "referral")  # type: ignore[arg-type]
    await require_service(service_id)  # type: ignore[arg-type]
    visit_pk = await _visit_of_client(walls, visit_uuid, client["id"])
    # A form sent twice on a weak signal: the same open referral made today is the one meant.
    same = (
        await walls.select(Referral, Referral.id)
        .where(
            (Referral.client == client["id"])
            & (Referral.service == service_id)
            & (Referral.status == "referred")
            & (Referral.referred_on == local_today())
            & (Referral.created_by == walls.user.id)
            & (Referral.note == note)
        )
        .first()
    )
    if same is not None and referral_uuid is None:
        return await referral_detail(walls, same["id"])
    async with engine().transaction():
        referral_id = await insert_referral(
            client,
            service_id,  # type: ignore[arg-type]
            note,
            visit_pk,
            walls.user.id,
            referral_uuid,
        )
        await elsewhere.client_changed(client["id"])
        await log_client_write(walls, client["id"], client["team"], "create", f"referral:{referral_id}")
    return await referral_detail(walls, referral_id)


async def _stored_with_id(walls: TeamScope, referral_uuid: Any) -> dict[str, Any] | None:
    """The user's own referral with this phone-made id; 409 when the id is someone else's."""
    stored = (
        await Referral.select(Referral.id, Referral.created_by, Referral.team)
        .where(Referral.uuid == referral_uuid)
        .first()
    )
    if stored is None:
        return None
    if stored["created_by"] != walls.user.id or stored["team"] not in walls.team_ids:
        raise ReferralIdTaken()
    return await referral_detail(walls, stored["id"])


async def referral_detail(walls: TeamScope, referral_id: int) -> dict[str, Any]:
    row = await within_walls(walls, Referral, referral_id, "referral", *_COLUMNS)
    return public_referral(row, current_language())


async def set_referral_status(walls: TeamScope, referral_id: int, raw: dict[str, Any]) -> dict[str, Any]:
    reader = Reader(raw)
    status = reader.choice("status", REFERRAL_STATUSES)
    if not status and "status" not in reader.errors:
        reader.fail("status", N_("This field is required."))
    reader.done()
    current = await within_walls(
        walls, Referral, referral_id, "referral", Referral.status, Referral.followup, Referral.client, Referral.team
    )
    moved_client = current["client"]
    if status == current["status"]:  # the same step sent twice (a double tap, a resent request)
        return await referral_detail(walls, referral_id)
    if status not in next_steps(current["status"]):
        raise StepNotAllowed()
    values: dict[Any, Any] = {Referral.status: status}
    if status == "contacted":
        values[Referral.contacted_on] = local_today()
    else:
        values[Referral.closed_on] = local_today()
    async with engine().transaction():
        # Only from the status just read: two people setting an outcome at once cannot both win.
        moved = (
            await Referral.update(values)
            .where((Referral.id == referral_id) & walls.condition(Referral) & (Referral.status == current["status"]))
            .returning(Referral.id)
        )
        if not moved:
            raise StepNotAllowed()
        if status in OUTCOMES and current["followup"] is not None:  # the question has its answer
            await FollowUp.update({FollowUp.done_at: utcnow(), FollowUp.done_by: walls.user.id}).where(
                (FollowUp.id == current["followup"]) & walls.condition(FollowUp) & FollowUp.done_at.is_null()
            )
            await elsewhere.client_changed(moved_client)  # the outcome is known: no check reminder
        await log_client_write(walls, moved_client, current["team"], "status", f"referral:{referral_id}")
    return await referral_detail(walls, referral_id)


async def referrals_of_client(walls: TeamScope, client_id: int, open_only: bool = False) -> list[dict[str, Any]]:
    await require_client(walls, client_id)
    teams = walls.team_id_list()
    where, args = f"r.team IN ({placeholders(len(teams))}) AND r.client = {{}}", list[Any]([*teams, client_id])
    if open_only:
        where += f" AND r.status NOT IN ({placeholders(len(OUTCOMES))})"
        args += list(OUTCOMES)
    # _COLUMNS as SQL written once per shape (server/db/prepared.py): the client page asks it.
    rows = await statement(
        f"SELECT {column_list(_COLUMNS[:11], 'r')}, s.name_fi AS service_name_fi, s.name_sv AS service_name_sv, "  # nosec B608 # column names and placeholders only
        "s.name_en AS service_name_en, s.phone AS service_phone, v.uuid AS visit_uuid, r.uuid "
        "FROM referral r LEFT JOIN service s ON s.id = r.service LEFT JOIN visit v ON v.id = r.visit "
        f"WHERE {where} ORDER BY r.id DESC"
    ).fetch(*args)
    return [public_referral(row, current_language()) for row in rows]
