"""`rinnalla serve` starts a real server whose lifespan opens the database."""

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

pytestmark = pytest.mark.anyio


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_serve_answers_health_and_login_then_stops_on_sigterm(db):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
                              env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            while True:  # poll until the port answers (no fixed sleep)
                try:
                    health = await http.get("/healthz")
                    break
                except httpx.TransportError:
                    assert server.poll() is None, server.stdout.read()
                    assert time.monotonic() < deadline, "server did not start"
                    await __import__("anyio").sleep(0.1)
            assert health.status_code == 200
            login = await http.get("/login", headers={"Accept-Language": "sv"})
            assert login.status_code == 200 and "Logga in" in login.text
    finally:
        server.terminate()
        server.wait(timeout=30)
    output = server.stdout.read()
    # uvicorn finishes gracefully, then re-raises SIGTERM so the exit status tells the signal.
    assert "Application shutdown complete" in output, output
    assert server.returncode in (0, -15)
