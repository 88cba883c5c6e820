"""Health check and the few files that must be served from the site root."""

from __future__ import annotations

from litestar import get
from litestar.exceptions import HTTPException
from litestar.response import Response

from server.accounts.tables import Team


@get("/healthz", opt={"public": True}, cache_control=None)
async def healthz() -> Response:
    try:
        await Team.raw("SELECT 1")
    except Exception as exc:  # the database did not answer: say so, without details
        raise HTTPException(status_code=503, detail="database unavailable") from exc
    return Response({"status": "ok"}, status_code=200)


ROUTES = [healthz]
