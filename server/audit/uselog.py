"""The use log (käyttöloki): who processed which client's data, when, through what, on what basis.

Every read or write of a client or anything of theirs (page, htmx partial, API answer, export
row, a search result that reveals a client) adds one row per client, as does a refused attempt
at another team's client. Rows name the view and the object, never what was written in it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from server.audit import chain
from server.casework.tables import AccessLog, Client
from server.observability.logs import request_id
from server.scope import TeamScope
from server.timeutil import utcnow

security_log = logging.getLogger("rinnalla.security")


def basis_of(walls: TeamScope, team_id: int | None, outcome: str = "ok") -> str:
    """Why this user processed a client of `team_id`, as the client's log report will say it: their
    own team's client, break-the-glass, an administrator's reason, an administrator's
    organisation-wide view (lists, dashboards), or a refused attempt with no basis at all."""
    if outcome == "denied":
        return "refused"
    if walls.glass_reason:
        return "admin_reason" if walls.user.is_admin else walls.basis
    if walls.user.is_admin and team_id != walls.user.team_id:
        return "admin"
    return walls.basis


def use_row(
    walls: TeamScope, client_id: int, team_id: int | None, what: str, action: str, object_: str, outcome: str = "ok"
) -> dict[str, Any]:
    return {
        "at": utcnow(),
        "user": walls.user.id,
        "role": walls.user.role,
        "team": team_id,
        "client": client_id,
        "action": action,
        "what": what,
        "object": object_,
        "basis": basis_of(walls, team_id, outcome),
        "reason": walls.glass_reason,
        "request_id": request_id(),
        "session": walls.user.session_id,
        "outcome": outcome,
    }


async def log_client_read(
    walls: TeamScope, client_id: int, team_id: int, what: str, action: str = "read", object_: str = "client"
) -> None:
    await chain.append(AccessLog, [use_row(walls, client_id, team_id, what, action, object_)])


# What a write did to a client's data, as the use log records it.
WRITE_ACTIONS = ("create", "update", "status", "delete")


async def log_client_write(
    walls: TeamScope, client_id: int, team_id: int, action: str, object_: str = "client"
) -> None:
    """One row for one change to a client's data (`object_`: "client", or kind:id such as
    "followup:12"). Called by the service function that made the change, whichever route (form,
    htmx, API) asked for it, so no route can forget; inside the service's transaction when it has
    one, so the row stands or falls with the change."""
    if action not in WRITE_ACTIONS:
        raise ValueError(f"not a write action: {action}")
    what = f"{object_.split(':', 1)[0]}_{action}"
    await chain.append(AccessLog, [use_row(walls, client_id, team_id, what, action, object_)])


async def log_client_reads(
    walls: TeamScope, client_ids: Sequence[int | None], what: str, action: str = "read", object_: str = "client"
) -> None:
    """One row per client whose data a list, search or download showed."""
    ids = sorted({client_id for client_id in client_ids if client_id is not None})
    if not ids:
        return
    if len(walls.team_ids) == 1:  # every client shown passed the wall, so this is their team
        teams = {client_id: walls.team_ids[0] for client_id in ids}
    else:
        rows = await Client.select(Client.id, Client.team).where(Client.id.is_in(ids))
        teams = {row["id"]: row["team"] for row in rows}
    await chain.append(
        AccessLog,
        [use_row(walls, client_id, teams[client_id], what, action, object_) for client_id in ids if client_id in teams],
    )


async def log_refused(walls: TeamScope, client_id: int, what: str) -> None:
    """An attempt at a client behind another team's wall: logged for that client's team to see.
    (The person asking still gets the same 404 as for an id that does not exist.)"""
    if walls.cross_site:
        # Another site sent the browser here (a link, an image, a redirect): the user may not
        # know, and a "refused" row in their name would frame them. The security log keeps it.
        security_log.warning(
            "refused: a cross-site request at client %s (%s), not logged as the user's", client_id, what
        )
        return
    row = await Client.select(Client.team).where(Client.id == client_id).first()
    if row is not None:
        security_log.warning("refused: user %s at client %s of another team (%s)", walls.user.id, client_id, what)
        await chain.append(AccessLog, [use_row(walls, client_id, row["team"], what, "read", "client", "denied")])


async def log_system_use(client_id: int, team_id: int | None, what: str, action: str = "read") -> None:
    """A use by the command line (an administrator on the server), with no user of the app."""
    await chain.append(
        AccessLog,
        [
            {
                "at": utcnow(),
                "user": None,
                "role": "system",
                "team": team_id,
                "client": client_id,
                "action": action,
                "what": what,
                "object": "client",
                "basis": "system",
                "reason": "",
                "request_id": "",
                "session": None,
                "outcome": "ok",
            }
        ],
    )


async def access_log_rows(client_id: int, limit: int, offset: int) -> tuple[list[dict], int]:
    condition = AccessLog.client == client_id
    total = await AccessLog.count().where(condition)
    rows = await (
        AccessLog.select(
            AccessLog.at,
            AccessLog.user.email.as_alias("user"),
            AccessLog.user.display_name.as_alias("user_name"),
            AccessLog.role,
            AccessLog.action,
            AccessLog.what,
            AccessLog.basis,
            AccessLog.reason,
            AccessLog.outcome,
        )
        .where(condition)
        .order_by(AccessLog.at, ascending=False)
        .order_by(AccessLog.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    return rows, total
