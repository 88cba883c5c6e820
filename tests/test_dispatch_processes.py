"""Exactly once across processes: two dispatchers at once, and one killed in the middle of a batch.

Real `rinnalla worker --once` processes against the test database (PostgreSQL: FOR UPDATE SKIP
LOCKED; SQLite: BEGIN IMMEDIATE on one writer) and the loopback push service.
"""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest

from server.push.dispatcher import dispatch_due
from server.push.subscriptions import save_subscription
from server.push.tables import Reminder
from server.timeutil import utcnow
from tests.support.casework import make_client

pytestmark = pytest.mark.anyio
PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


async def _due_reminders(world, count: int) -> None:
    from server.accounts.tables import Pair

    pair_id = (await Pair.select(Pair.id).first())["id"]
    client_id = await make_client(world.team_a, "Kettu", pair_id=pair_id)
    now = utcnow()
    await Reminder.insert(
        *[
            Reminder(
                dedupe_key=f"load:{n}",
                kind="followup",
                audience="pair",
                team=world.team_a,
                client=client_id,
                event_at=now + timedelta(hours=2),
                due_at=now,
                next_attempt_at=now,
            )
            for n in range(count)
        ]
    )


async def _phones(world, service, count: int) -> list:
    phones = [service.phone() for _ in range(count)]
    for n, phone in enumerate(phones):
        await save_subscription(
            {"endpoint": phone.endpoint, **phone.subscription()["keys"]},
            "test",
            "fi",
            user_id=world.alice if n % 2 == 0 else world.bob,
        )
    return phones


def _worker() -> subprocess.Popen:
    # Its JSON log on stderr (not the suite's log file), to read what it claimed.
    return subprocess.Popen(
        [sys.executable, "-m", "server.cli", "worker", "--once"],
        cwd=PROJECT,
        env={**os.environ, "LOG_FILE": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


async def test_two_dispatchers_at_once_send_each_reminder_once_to_each_phone(world, push_service):
    from server.push.dispatcher import BATCH, CONCURRENCY

    total = 2 * BATCH + 100
    await _due_reminders(world, total)
    phones = await _phones(world, push_service, 2)
    # The push service holds its answers until both dispatchers are sending (each has at most
    # CONCURRENCY requests in flight), so both have claimed a batch: a real race for the rest.
    push_service.gate.clear()
    workers = [_worker(), _worker()]
    try:
        push_service.wait_for(CONCURRENCY + 1, what="arrived", timeout=60)
    finally:
        push_service.gate.set()
    outputs = [w.communicate(timeout=120)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    seen = collections.Counter((d.token, d.payload["tag"]) for d in push_service.delivered)
    assert len(seen) == 2 * total and max(seen.values()) == 1, [k for k, n in seen.items() if n > 1][:5]
    assert {p.token for p in phones} == {token for token, _tag in seen}
    assert await Reminder.count().where(Reminder.state == "sent") == total
    assert push_service.problems == []
    # Both took part (the claims interleaved), or the test proved nothing about concurrency.
    messages = [json.loads(line)["message"] for out in outputs for line in out.splitlines() if line.startswith("{")]
    claimed = [int(m.split(" claimed")[0].rsplit(" ", 1)[1]) for m in messages if " claimed" in m]
    assert len(claimed) == 2 and sum(claimed) == total


async def test_a_dispatcher_killed_mid_batch_loses_nothing(world, push_service):
    await _due_reminders(world, 40)
    [phone] = await _phones(world, push_service, 1)
    push_service.gate.clear()  # the push service holds its answers: the worker is mid-batch
    worker = _worker()
    try:
        push_service.wait_for(1, what="arrived", timeout=60)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    push_service.gate.set()
    leased = await Reminder.count().where(Reminder.state == "sending")
    assert leased == 40  # claimed under a lease, not lost, not sent by anyone else meanwhile
    assert (await dispatch_due()).claimed == 0
    await Reminder.update({Reminder.locked_until: utcnow() - timedelta(seconds=1)}).where(
        Reminder.state == "sending"
    )  # the lease runs out
    await dispatch_due()
    assert await Reminder.count().where(Reminder.state == "sent") == 40
    tags = collections.Counter(d.payload["tag"] for d in push_service.to(phone))
    assert len(tags) == 40  # every reminder reached the phone
    # A push the killed worker got through before dying may come twice: with the same tag and
    # Topic, so the phone shows it once.
    for delivery in push_service.to(phone):
        assert delivery.topic == delivery.payload["tag"]


async def test_a_worker_stopped_with_sigterm_finishes_and_records_the_batch_it_holds(world, push_service):
    await _due_reminders(world, 30)
    [phone] = await _phones(world, push_service, 1)
    push_service.gate.clear()
    worker = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "worker"],
        cwd=PROJECT,
        env={**os.environ, "LOG_FILE": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        push_service.wait_for(1, what="arrived", timeout=60)  # mid-batch
        worker.send_signal(signal.SIGTERM)
    finally:
        push_service.gate.set()
    output = worker.communicate(timeout=120)[0]
    assert worker.returncode == 0, output
    assert await Reminder.count().where(Reminder.state == "sent") == 30  # none left leased
    assert len({d.payload["tag"] for d in push_service.to(phone)}) == 30
    assert "worker stopped" in output
