"""The pair's day for the phone: what they need in a basement with no network.

Today's follow-ups and appointments, the coming releases, and each client of the pair with their
phone number, next appointment and open follow-ups. The phone keeps it sealed under the login
session's key (web/static/js/field-copy.js, server/offline/device_keys.py) exactly like the pick
list: it opens with no network only while that session lives, and goes at logout, at another
login and at a wipe. Every client in it is use-logged as read, once per copy.
"""

from __future__ import annotations

from typing import Any

from litestar import get

from server.accounts.sessions import session_ends_by
from server.audit.uselog import log_client_reads
from server.casework.tables import Appointment, Client, FollowUp
from server.casework.today import _mine, todays_work
from server.scope import Walls
from server.settings import get_settings
from server.timeutil import local_today, utcnow

MAX_CLIENTS = 500
# Offline shell pages that render from the copy (pages/offline_copy.html, js/offline-pages.js).
FIELD_COPY_PAGES = ("today", "caseload", "client")


async def _caseload(walls: Walls) -> list[dict[str, Any]]:
    return await (
        Client.select(Client.id, Client.pseudonym, Client.phone, Client.status, Client.release_date, Client.institution)
        .where(_mine(walls, Client) & (Client.status != "closed"))
        .order_by(Client.pseudonym)
        .limit(MAX_CLIENTS)
    )


async def _next_appointments(walls: Walls, client_ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = await (
        Appointment.select(Appointment.client, Appointment.starts_at, Appointment.place, Appointment.with_whom)
        .where(
            walls.condition(Appointment)
            & Appointment.client.is_in(client_ids)
            & Appointment.cancelled_at.is_null()
            & (Appointment.starts_at >= utcnow())
        )
        .order_by(Appointment.starts_at)
    )
    first: dict[int, dict[str, Any]] = {}
    for row in rows:
        first.setdefault(
            row["client"], {"starts_at": row["starts_at"], "place": row["place"], "with_whom": row["with_whom"]}
        )
    return first


async def _open_followups(walls: Walls, client_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    rows = await (
        FollowUp.select(FollowUp.id, FollowUp.client, FollowUp.due_at, FollowUp.note)
        .where(walls.condition(FollowUp) & FollowUp.client.is_in(client_ids) & FollowUp.done_at.is_null())
        .order_by(FollowUp.due_at)
    )
    by_client: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_client.setdefault(row["client"], []).append({"id": row["id"], "due_at": row["due_at"], "note": row["note"]})
    return by_client


async def field_copy(walls: Walls) -> dict[str, Any]:
    today = await todays_work(walls)
    clients = await _caseload(walls)
    ids = [row["id"] for row in clients] or [-1]
    appointments, followups = await _next_appointments(walls, ids), await _open_followups(walls, ids)
    return {
        "generated_at": utcnow(),
        "day": local_today(),
        "zone": get_settings().timezone.key,
        "followups": [
            {
                "id": f["id"],
                "client_id": f["client"],
                "pseudonym": f["pseudonym"],
                "due_at": f["due_at"],
                "note": f["note"],
            }
            for f in today.followups
        ],
        "appointments": [
            {
                "id": a["id"],
                "client_id": a["client_id"],
                "pseudonym": a["pseudonym"],
                "starts_at": a["starts_at"],
                "place": a["place"],
                "with_whom": a["with_whom"],
            }
            for a in today.appointments
        ],
        "releases": [
            {
                "client_id": r["id"],
                "pseudonym": r["pseudonym"],
                "release_date": r["release_date"],
                "institution": r["institution"],
            }
            for r in today.releases
        ],
        "clients": [
            {**row, "next_appointment": appointments.get(row["id"]), "open_followups": followups.get(row["id"], [])}
            for row in clients
        ],
    }


@get("/api/v1/device/today")
async def device_today(walls: Walls) -> dict[str, Any]:
    """The sealed Today copy's content (see the module docstring); never kept by the browser."""
    copy = await field_copy(walls)
    shown = [row["id"] for row in copy["clients"]] + [
        row["client_id"] for key in ("followups", "appointments", "releases") for row in copy[key]
    ]
    await log_client_reads(walls, shown, "device_today")
    # Like the pick list: the phone stops opening the copy when this session ends at the latest,
    # offline too (a lost phone goes quiet even if nobody can reach it).
    return {**copy, "until": await session_ends_by(walls.user.session_id)}


ROUTES = [device_today]
