"""The background worker (Procfile `worker:`): the reminder dispatcher, and housekeeping.

It sends what is due, then sleeps until the next reminder falls due (at most POLL_SECONDS, so
reminders planned by the web processes meanwhile go out within that). On SIGTERM/SIGINT the batch
in progress finishes and is recorded, then the loop ends; a worker killed harder leaves its batch
leased, and the next dispatcher takes it up when the lease runs out.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from datetime import timedelta

from server.accounts import devices
from server.accounts.sessions import purge_ended_sessions
from server.accounts.throttle import purge_old_failures
from server.db.lifecycle import database
from server.observability.logs import configure_logging
from server.push.dispatcher import dispatch_due, next_due_in, purge_finished
from server.push.transport import http_session
from server.rhythm.supervision import plan_all_supervision
from server.settings import get_settings
from server.timeutil import local_today, utcnow
from server.wiring import wire

log = logging.getLogger("rinnalla.worker")
HOUSEKEEPING_SECONDS = 60
POLL_SECONDS = 15
# Ended sessions stay visible this long (who was logged in where), then their rows go.
SESSION_ROWS_KEPT = timedelta(days=30)
REMINDER_ROWS_KEPT = timedelta(days=180)
# A lead's wipe marker for a lost phone waits this long for the phone to come online again.
WIPE_MARKERS_KEPT = timedelta(days=180)


_supervision_planned_on = None


async def housekeeping() -> None:
    global _supervision_planned_on
    if _supervision_planned_on != local_today():  # once a day: a rhythm also falls due with no one acting
        await plan_all_supervision()
        _supervision_planned_on = local_today()
    removed = await purge_ended_sessions(utcnow() - SESSION_ROWS_KEPT)
    # A phone is known as long as its sessions' rows are kept (it fetches its keys on every page).
    phones = await devices.purge_unseen(utcnow() - SESSION_ROWS_KEPT, utcnow() - WIPE_MARKERS_KEPT)
    await purge_old_failures()
    reminders = await purge_finished(utcnow() - REMINDER_ROWS_KEPT)
    if removed or reminders or phones:
        log.info("removed %d ended sessions, %d settled reminders, %d unseen phones", removed, reminders, phones)


async def _sleep_until_due(stop: asyncio.Event) -> None:
    try:
        due_in = await next_due_in()
    except Exception:  # noqa: BLE001 - the database is away: wait a poll and try again
        due_in = None
    wait = POLL_SECONDS if due_in is None else min(POLL_SECONDS, max(0.2, due_in))
    try:
        await asyncio.wait_for(stop.wait(), timeout=wait)
    except TimeoutError:
        pass


async def run_worker(once: bool = False) -> None:
    configure_logging(get_settings().log_file)
    wire()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with database(), http_session() as session:
        log.info("worker started")
        last_housekeeping = 0.0
        while not stop.is_set():
            try:
                if time.monotonic() - last_housekeeping >= HOUSEKEEPING_SECONDS:
                    await housekeeping()
                    last_housekeeping = time.monotonic()
                await dispatch_due(session, stop)
            except Exception:  # noqa: BLE001 - one bad round (a database hiccup) must not end the worker
                log.exception("worker round failed; trying again")
                if once:
                    raise
            if once:
                break
            await _sleep_until_due(stop)
    log.info("worker stopped")
