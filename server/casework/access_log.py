"""The access log: who read which client record, when, and through what."""

from __future__ import annotations

from server.casework.tables import AccessLog, Client
from server.scope import TeamScope
from server.timeutil import utcnow


async def log_client_read(walls: TeamScope, client_id: int, team_id: int, what: str, action: str = "read") -> None:
    await AccessLog.insert(
        AccessLog(at=utcnow(), user=walls.user.id, role=walls.user.role, team=team_id, client=client_id,
                  action=action, what=what)
    )


async def log_client_reads(walls: TeamScope, client_ids: list[int | None], what: str) -> None:
    """One row per client whose data a list, search or download showed."""
    ids = sorted({client_id for client_id in client_ids if client_id is not None})
    if not ids:
        return
    if len(walls.team_ids) == 1:  # every client shown passed the wall, so this is their team
        teams = [{"id": client_id, "team": walls.team_ids[0]} for client_id in ids]
    else:
        teams = await Client.select(Client.id, Client.team).where(Client.id.is_in(ids))
    now = utcnow()
    await AccessLog.insert(*[AccessLog(at=now, user=walls.user.id, role=walls.user.role, team=row["team"],
                                       client=row["id"], action="read", what=what) for row in teams])


async def access_log_rows(client_id: int, limit: int, offset: int) -> tuple[list[dict], int]:
    condition = AccessLog.client == client_id
    total = await AccessLog.count().where(condition)
    rows = await (AccessLog.select(AccessLog.at, AccessLog.user.email.as_alias("user"),
                                   AccessLog.user.display_name.as_alias("user_name"), AccessLog.role,
                                   AccessLog.action, AccessLog.what)
                  .where(condition).order_by(AccessLog.at, ascending=False).order_by(AccessLog.id, ascending=False)
                  .limit(limit).offset(offset))
    return rows, total
