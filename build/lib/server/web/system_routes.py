"""Liveness, readiness, and the few files that must be served from the site root."""

from __future__ import annotations

from litestar import get
from litestar.response import Response

from server.accounts.tables import Team
from server.db.lifecycle import pending_migrations
from server.resources import missing_folders


@get("/healthz", opt={"public": True}, cache_control=None)
async def healthz() -> Response:
    """Liveness: the process answers (a load balancer restarts it when it does not)."""
    return Response({"status": "ok"}, status_code=200)


@get("/readyz", opt={"public": True}, cache_control=None)
async def readyz() -> Response:
    """Readiness: the installed files are there, the database answers and its schema is current;
    otherwise 503, without details (`rinnalla migrate` names a missing folder)."""
    if missing_folders():
        return Response({"status": "files missing"}, status_code=503)
    try:
        await Team.raw("SELECT 1")
        pending = await pending_migrations()
    except Exception:  # noqa: BLE001 - the database did not answer
        return Response({"status": "database unavailable"}, status_code=503)
    if pending:
        return Response({"status": "migrations pending", "pending_migrations": pending}, status_code=503)
    return Response({"status": "ready"}, status_code=200)


ROUTES = [healthz, readyz]
