"""The lead's caseload export: one row per client of the lead's teams, as CSV.

It carries what a caseload review needs and no more: no legal name, phone or notes. Every client
in it gets a use-log row (export) and a disclosure-log row: the file leaves the app.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from piccolo.query.functions.aggregate import Count, Max

from server.accounts.tables import Pair
from server.audit.disclosures import CASELOAD, log_disclosures
from server.audit.uselog import log_client_reads
from server.casework.clients import STATUSES, themes_of
from server.casework.tables import Client, FollowUp, Visit
from server.scope import TeamScope
from server.timeutil import to_local

HEADER = (
    "id",
    "team",
    "pseudonym",
    "status",
    "pair",
    "started_on",
    "status_changed_on",
    "came_from",
    "release_date",
    "release_type",
    "themes",
    "last_visit",
    "open_followups",
)


async def caseload_rows(walls: TeamScope, status: str = "") -> list[tuple[Any, ...]]:
    condition = walls.condition(Client) & (Client.status != "purged")
    if status in STATUSES:
        condition &= Client.status == status
    clients = await (
        Client.select(
            Client.id,
            Client.team.name.as_alias("team_name"),
            Client.pseudonym,
            Client.status,
            Client.pair,
            Client.started_on,
            Client.status_changed_on,
            Client.came_from,
            Client.release_date,
            Client.release_type,
        )
        .where(condition)
        .order_by(Client.team)
        .order_by(Client.pseudonym)
    )
    ids = [row["id"] for row in clients]
    themes = await themes_of(ids)
    last_visits, open_followups, pairs = (
        await _last_visits(walls, ids),
        await _open_followups(walls, ids),
        await _pair_names(walls),
    )
    return [
        (
            row["id"],
            row["team_name"],
            row["pseudonym"],
            row["status"],
            pairs.get(row["pair"], ""),
            row["started_on"],
            row["status_changed_on"],
            row["came_from"],
            row["release_date"] or "",
            row["release_type"],
            " ".join(themes[row["id"]]),
            last_visits.get(row["id"], ""),
            open_followups.get(row["id"], 0),
        )
        for row in clients
    ]


async def _last_visits(walls: TeamScope, ids: list[int]) -> dict[int, Any]:
    if not ids:
        return {}
    rows = await (
        walls.select(Visit, Visit.client, Max(Visit.occurred_at, alias="last"))
        .where(Visit.client.is_not_null())
        .group_by(Visit.client)
    )
    # SQLite answers an aggregate with the stored text, PostgreSQL with a timestamp.
    return {
        row["client"]: to_local(
            row["last"] if isinstance(row["last"], datetime) else datetime.fromisoformat(row["last"])
        ).date()
        for row in rows
    }


async def _open_followups(walls: TeamScope, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = await (
        walls.select(FollowUp, FollowUp.client, Count(alias="open"))
        .where(FollowUp.done_at.is_null())
        .group_by(FollowUp.client)
    )
    return {row["client"]: row["open"] for row in rows}


async def _pair_names(walls: TeamScope) -> dict[int, str]:
    rows = await walls.select(
        Pair,
        Pair.id,
        Pair.first_member.display_name.as_alias("first"),
        Pair.second_member.display_name.as_alias("second"),
    )
    return {row["id"]: f"{row['first']} & {row['second']}" for row in rows}


async def export_caseload(walls: TeamScope, status: str = "") -> list[tuple[Any, ...]]:
    rows = await caseload_rows(walls, status)
    client_ids = [row[0] for row in rows]
    await log_client_reads(walls, client_ids, "clients_csv", action="export")
    await log_disclosures(
        walls.user.id, walls.user.role, client_ids, "caseload_csv", "lead_export", (CASELOAD,), "clients_csv"
    )
    return [HEADER, *rows]
