"""`rinnalla serve` starts a real server whose lifespan opens the database."""

import httpx
import pytest

from tests.support.live_server import live_server

pytestmark = pytest.mark.anyio


async def test_serve_answers_health_and_login_then_stops_on_sigterm(db):
    async with live_server({"LOG_FILE": ""}) as (base_url, process):  # its log on stderr, to read here
        async with httpx.AsyncClient(base_url=base_url) as http:
            assert (await http.get("/healthz")).status_code == 200
            login = await http.get("/login", headers={"Accept-Language": "sv"})
            assert login.status_code == 200 and "Logga in" in login.text
    output = process.stdout.read()
    # uvicorn finishes gracefully, then re-raises SIGTERM so the exit status tells the signal.
    assert "Application shutdown complete" in output, output
    assert process.returncode in (0, -15)
