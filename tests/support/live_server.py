"""A real `rinnalla serve` process on a free loopback port, on the test database."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator

import anyio
import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.asynccontextmanager
async def live_server(
    extra_env: dict | None = None, *, rinnalla: list[str] | None = None, env: dict | None = None, cwd: str | None = None
) -> AsyncIterator[tuple[str, subprocess.Popen]]:
    """`rinnalla serve` (by default this checkout's, on the test database's environment)."""
    port = free_port()
    process = subprocess.Popen(
        [*(rinnalla or [sys.executable, "-m", "server.cli"]), "serve", "--port", str(port)],
        env={**(os.environ if env is None else env), **(extra_env or {})},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient(base_url=base_url) as http:
            while True:  # poll until the port answers (no fixed sleep)
                try:
                    await http.get("/healthz")
                    break
                except httpx.TransportError:
                    if process.poll() is not None:
                        raise RuntimeError(f"server exited: {process.stdout.read()}") from None
                    if time.monotonic() > deadline:
                        raise RuntimeError("server did not start in 30 s") from None
                    await anyio.sleep(0.05)
        yield base_url, process
    finally:
        process.terminate()
        process.wait(timeout=30)
