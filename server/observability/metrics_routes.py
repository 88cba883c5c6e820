"""/metrics, behind `Authorization: Bearer METRICS_TOKEN` (404 when unset).

The figures read from the database at scrape time come from the domains that own the tables:
the app factory hands their readers in with `read_at_scrape`, so this kernel imports no domain.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.response import Response
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from server.observability.metrics import REGISTRY
from server.settings import get_settings

FigureReader = Callable[[], Awaitable[None]]
_READERS: list[FigureReader] = []


def read_at_scrape(*readers: FigureReader) -> None:
    """Run these before each scrape (each once, however often the app is made)."""
    _READERS.extend(reader for reader in readers if reader not in _READERS)


@get("/metrics", opt={"public": True}, include_in_schema=False, cache_control=None)
async def metrics(request: Request) -> Response:
    expected = get_settings().metrics_token
    given = request.headers.get("authorization", "")
    if not expected or not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        raise NotFoundException()  # not even whether metrics exist here
    for reader in _READERS:
        await reader()
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


ROUTES = [metrics]
