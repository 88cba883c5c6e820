"""The background worker (Procfile `worker:`): housekeeping today; reminders join it later.

It stops cleanly on SIGTERM/SIGINT: the round in progress finishes, then the loop ends.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import timedelta

from server.accounts.sessions import purge_ended_sessions
from server.accounts.throttle import purge_old_failures
from server.db.lifecycle import database
from server.timeutil import utcnow

log = logging.getLogger("rinnalla.worker")
ROUND_SECONDS = 60
# Ended sessions stay visible this long (who was logged in where), then their rows go.
SESSION_ROWS_KEPT = timedelta(days=30)


async def housekeeping() -> None:
    removed = await purge_ended_sessions(utcnow() - SESSION_ROWS_KEPT)
    await purge_old_failures()
    if removed:
        log.info("removed %d ended sessions", removed)


async def run_worker(once: bool = False) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with database():
        log.info("worker started")
        while True:
            await housekeeping()
            if once:
                break
            try:
                await asyncio.wait_for(stop.wait(), timeout=ROUND_SECONDS)
                break
            except asyncio.TimeoutError:
                continue
    log.info("worker stopped")
