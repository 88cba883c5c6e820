"""The access log: who read which client record, when, and through what."""

from __future__ import annotations

from server.casework.tables import AccessLog
from server.scope import TeamScope
from server.timeutil import utcnow


async def log_client_read(scope: TeamScope, client_id: int, team_id: int, what: str) -> None:
    await AccessLog.insert(
        AccessLog(at=utcnow(), user=scope.user.id, role=scope.user.role, team=team_id, client=client_id,
                  action="read", what=what)
    )
