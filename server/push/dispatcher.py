"""The reminder dispatcher: claim what is due, send it to every phone of its audience, record.

Exactly once, as far as a push can be:
* claiming takes a lease in one short transaction (PostgreSQL: FOR UPDATE SKIP LOCKED, so two
  dispatchers take different rows; SQLite: BEGIN IMMEDIATE on the one writer), so two
  dispatchers never hold the same reminder;
* a phone reached is recorded (ReminderDelivery) before the reminder is let go, and a retry skips
  the phones already reached;
* a dispatcher killed mid-batch leaves its rows `sending`; when the lease runs out another claims
  them again. A phone that got the push just before the kill may get it again: the Topic header
  and the notification tag make the second replace the first instead of showing twice.

Sending runs concurrently over one HTTP session with a bound on requests in flight; every
request has a timeout. 404/410 delete the subscription; 429 and 5xx retry with backoff honouring
Retry-After; a reminder is never sent after its event.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from server.accounts.tables import Pair, User
from server.casework.tables import Client
from server.db.lifecycle import engine
from server.push import transport
from server.push.endpoints import endpoint_digest
from server.push.messages import payload
from server.push.tables import PushSubscription, Reminder, ReminderDelivery, ReminderLink
from server.push.transport import CONCURRENCY, http_session
from server.release.plan import open_item_counts
from server.settings import get_settings
from server.timeutil import utcnow

log = logging.getLogger("rinnalla.push")

BATCH = 500
LEASE = timedelta(seconds=120)
BATCH_DEADLINE = timedelta(seconds=90)  # a batch's sends end by then (from its claim), inside the lease
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(minutes=30)
MAX_TTL = 28 * 24 * 3600  # FCM's cap
_REMINDER_COLUMNS = (
    Reminder.id,
    Reminder.kind,
    Reminder.audience,
    Reminder.team,
    Reminder.client,
    Reminder.user,
    Reminder.event_at,
    Reminder.urgent,
    Reminder.attempts,
    Reminder.devices,
)


@dataclass
class Job:
    reminder: dict[str, Any]
    subscription: dict[str, Any]
    outcome: str = ""  # sent, gone, retry, failed
    retry_after: timedelta | None = None
    status: int = 0


@dataclass
class Round:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    expired: int = 0
    no_device: int = 0
    deliveries: int = 0
    gone: int = 0
    errors: list[str] = field(default_factory=list)


# -- claiming -----------------------------------------------------------------------------


def _claimable(now: datetime):
    return ((Reminder.state == "pending") & (Reminder.next_attempt_at <= now)) | (
        (Reminder.state == "sending") & (Reminder.locked_until < now)
    )


async def claim(token: str, limit: int = BATCH, reminder_id: int | None = None) -> list[dict[str, Any]]:
    """Take up to `limit` due reminders under a lease marked with `token`; no other dispatcher gets
    the same ones, and only the holder of the token may record what became of them."""
    now = utcnow()
    async with engine().transaction():
        query = Reminder.select(Reminder.id).where(_claimable(now))
        if reminder_id is not None:
            query = query.where(Reminder.id == reminder_id)
        query = query.order_by(Reminder.next_attempt_at).limit(limit)
        if not get_settings().is_sqlite:
            query = query.lock_rows("UPDATE", skip_locked=True)
        ids = [row["id"] for row in await query]
        if not ids:
            return []
        return (
            await Reminder.update(
                {
                    Reminder.state: "sending",
                    Reminder.locked_until: now + LEASE,
                    Reminder.claim: token,
                    Reminder.attempts: Reminder.attempts + 1,
                }
            )
            .where(Reminder.id.is_in(ids) & _claimable(now))
            .returning(*_REMINDER_COLUMNS)
        )


# -- who gets it --------------------------------------------------------------------------

_SUBSCRIPTION_COLUMNS = (
    PushSubscription.id,
    PushSubscription.endpoint,
    PushSubscription.p256dh,
    PushSubscription.auth,
    PushSubscription.language,
    PushSubscription.user,
    PushSubscription.link,
)


async def _pair_members(client_ids: set[int]) -> dict[int, list[int]]:
    """The workers each client's reminders go to: the client's pair, or the team's leads if none."""
    if not client_ids:
        return {}
    clients = await Client.select(Client.id, Client.team, Client.pair).where(Client.id.is_in(list(client_ids)))
    pair_ids = list({row["pair"] for row in clients if row["pair"] is not None})
    pairs = {
        row["id"]: [row["first_member"], row["second_member"]]
        for row in await Pair.select(Pair.id, Pair.first_member, Pair.second_member).where(
            Pair.id.is_in(pair_ids or [-1]) & Pair.ended_at.is_null()
        )
    }
    leads_of: dict[int, list[int]] = {}
    lead_teams = list({row["team"] for row in clients if row["pair"] not in pairs})
    if lead_teams:
        for row in await User.select(User.id, User.team).where(
            User.team.is_in(lead_teams) & (User.role == "lead") & User.is_active.eq(True)
        ):
            leads_of.setdefault(row["team"], []).append(row["id"])
    return {row["id"]: pairs.get(row["pair"]) or leads_of.get(row["team"], []) for row in clients}


async def _jobs(reminders: list[dict[str, Any]]) -> list[Job]:
    if not reminders:
        return []
    members = await _pair_members({r["client"] for r in reminders if r["audience"] == "pair" and r["client"]})
    users_of = {
        r["id"]: (members.get(r["client"], []) if r["audience"] == "pair" else [r["user"]])
        for r in reminders
        if r["audience"] in ("pair", "user")
    }
    client_ids = [r["client"] for r in reminders if r["audience"] == "client"]
    links_of: dict[int, list[int]] = {}
    if client_ids:
        for row in await ReminderLink.select(ReminderLink.id, ReminderLink.client).where(
            ReminderLink.client.is_in(client_ids) & ReminderLink.revoked_at.is_null()
        ):
            links_of.setdefault(row["client"], []).append(row["id"])
    active_users = {
        row["id"]
        for row in await User.select(User.id).where(
            User.id.is_in(list({u for ids in users_of.values() for u in ids}) or [-1]) & User.is_active.eq(True)
        )
    }
    by_user: dict[int, list[dict]] = {}
    by_link: dict[int, list[dict]] = {}
    if active_users:
        for row in await PushSubscription.select(*_SUBSCRIPTION_COLUMNS).where(
            PushSubscription.user.is_in(list(active_users))
        ):
            by_user.setdefault(row["user"], []).append(row)
    all_links = [link for ids in links_of.values() for link in ids]
    if all_links:
        for row in await PushSubscription.select(*_SUBSCRIPTION_COLUMNS).where(PushSubscription.link.is_in(all_links)):
            by_link.setdefault(row["link"], []).append(row)
    delivered = {
        row["key"]
        for row in await ReminderDelivery.select(ReminderDelivery.key).where(
            ReminderDelivery.reminder.is_in([r["id"] for r in reminders])
        )
    }
    jobs = []
    for reminder in reminders:
        if reminder["audience"] == "client":
            subscriptions = [s for link in links_of.get(reminder["client"], []) for s in by_link.get(link, [])]
        else:
            subscriptions = [
                s for user in users_of.get(reminder["id"], []) if user in active_users for s in by_user.get(user, [])
            ]
        for subscription in subscriptions:
            if _delivery_key(reminder, subscription) not in delivered:
                jobs.append(Job(reminder, subscription))
    return jobs


def _delivery_key(reminder: dict[str, Any], subscription: dict[str, Any]) -> str:
    return f"{reminder['id']}:{endpoint_digest(subscription['endpoint'])}"


# -- sending ------------------------------------------------------------------------------


def _ttl(reminder: dict[str, Any], now: datetime) -> int:
    # Kept by the push service for a phone that is offline, while the reminder still matters.
    return max(60, min(MAX_TTL, int((reminder["event_at"] - now).total_seconds())))


def _message(job: Job, now: datetime, texts: dict[tuple[int, str], bytes]) -> tuple[bytes, dict[str, str]]:
    subscription, reminder = job.subscription, job.reminder
    text_key = (reminder["id"], subscription["language"])
    if text_key not in texts:  # the same words for every phone of one language
        texts[text_key] = payload(reminder, subscription["language"], now)
    body = transport.encrypt(subscription, texts[text_key])
    headers = transport.headers_for(
        subscription["endpoint"], _ttl(reminder, now), reminder["urgent"], f"r{reminder['id']}"
    )
    return body, headers


async def _send(
    session: aiohttp.ClientSession,
    gate: asyncio.Semaphore,
    job: Job,
    now: datetime,
    texts: dict[tuple[int, str], bytes],
) -> None:
    async with gate:
        try:
            body, headers = _message(job, now, texts)
        except Exception as exc:  # a key the phone gave that cannot be used: this phone never will
            job.outcome, job.status = "failed", 0
            log.warning(
                "reminder %s: cannot encrypt for subscription %s: %s",
                job.reminder["id"],
                job.subscription["id"],
                type(exc).__name__,
            )
            return
        answer = await transport.post(session, job.subscription["endpoint"], body, headers)
    if answer.refused_address:
        log.warning(
            "reminder %s: subscription %s resolves to a refused address", job.reminder["id"], job.subscription["id"]
        )
    job.outcome, job.status, job.retry_after = answer.outcome, answer.status or 0, answer.retry_after


# -- recording ----------------------------------------------------------------------------


def _backoff(attempts: int) -> timedelta:
    wait = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))
    return wait * random.uniform(0.5, 1.0)


def _settle(reminder: dict[str, Any], jobs: list[Job], now: datetime) -> dict[Any, Any]:
    """The reminder's new state from its phones' outcomes."""
    reached = reminder["devices"] + sum(1 for job in jobs if job.outcome == "sent")
    values: dict[Any, Any] = {Reminder.devices: reached, Reminder.locked_until: None}
    retries = [job for job in jobs if job.outcome == "retry"]
    if retries:
        wait = max([_backoff(reminder["attempts"])] + [job.retry_after for job in retries if job.retry_after])
        if reminder["attempts"] >= MAX_ATTEMPTS or now + wait >= reminder["event_at"]:
            values.update(
                {
                    Reminder.state: "failed" if not reached else "sent",
                    Reminder.last_error: f"gave up, attempts: {reminder['attempts']}",
                }
            )
        else:
            values.update(
                {
                    Reminder.state: "pending",
                    Reminder.next_attempt_at: now + wait,
                    Reminder.last_error: f"HTTP {retries[0].status}" if retries[0].status else "no answer",
                }
            )
        return values
    failed = [job for job in jobs if job.outcome == "failed"]
    if failed:
        values[Reminder.last_error] = f"HTTP {failed[0].status}"
    if reached:
        values.update({Reminder.state: "sent", Reminder.sent_at: now})
    else:
        values[Reminder.state] = "failed" if failed else "no_device"
    return values


async def _insert_deliveries(rows: list[tuple[int, str]], now: datetime) -> None:
    """One multi-row INSERT per chunk: building a Piccolo object per phone cost more than the SQL."""
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        values = ", ".join(["({}, {}, {})"] * len(chunk))
        arguments = [value for reminder_id, key in chunk for value in (reminder_id, key, now)]
        await ReminderDelivery.raw(
            f'INSERT INTO "reminder_delivery" ("reminder", "key", "delivered_at") VALUES {values} '  # nosec B608 # placeholders only
            'ON CONFLICT ("key") DO NOTHING',
            *arguments,
        )


async def _record(reminders: list[dict[str, Any]], jobs: list[Job], now: datetime, tally: Round, token: str) -> None:
    by_reminder: dict[int, list[Job]] = {r["id"]: [] for r in reminders}
    for job in jobs:
        by_reminder[job.reminder["id"]].append(job)
    sent = [job for job in jobs if job.outcome == "sent"]
    gone = list({job.subscription["endpoint"] for job in jobs if job.outcome == "gone"})
    async with engine().transaction():
        if sent:
            await _insert_deliveries(
                [(job.reminder["id"], _delivery_key(job.reminder, job.subscription)) for job in sent], now
            )
            await PushSubscription.update({PushSubscription.last_success_at: now}).where(
                PushSubscription.id.is_in(list({job.subscription["id"] for job in sent}))
            )
        if gone:
            # By endpoint: a fresher row for the same phone is not this one.
            await PushSubscription.delete().where(PushSubscription.endpoint.is_in(gone))
        # Most reminders of a batch settle alike (sent to N phones): one UPDATE for each alike group.
        alike: dict[tuple, list[int]] = {}
        for reminder in reminders:
            values = _settle(reminder, by_reminder[reminder["id"]], now)
            alike.setdefault(tuple((column._meta.name, value) for column, value in values.items()), []).append(
                reminder["id"]
            )
        for values_key, ids in alike.items():
            values = {getattr(Reminder, name): value for name, value in values_key}
            # Only our own lease: a reminder cancelled meanwhile, or claimed again by another
            # dispatcher after ours ran out, is not ours to settle.
            await Reminder.update(values).where(
                Reminder.id.is_in(ids) & (Reminder.state == "sending") & (Reminder.claim == token)
            )
            state = values.get(Reminder.state)
            tally.sent += len(ids) * (state == "sent")
            tally.retried += len(ids) * (state == "pending")
            tally.failed += len(ids) * (state == "failed")
            tally.no_device += len(ids) * (state == "no_device")
    tally.deliveries += len(sent)
    tally.gone += len(gone)


async def _expire(reminders: list[dict[str, Any]], now: datetime, tally: Round, token: str) -> list[dict[str, Any]]:
    """A reminder whose event has passed (a dispatcher was down) is not sent at all."""
    late = [r["id"] for r in reminders if r["event_at"] <= now]
    if late:
        await Reminder.update({Reminder.state: "expired", Reminder.locked_until: None}).where(
            Reminder.id.is_in(late) & (Reminder.state == "sending") & (Reminder.claim == token)
        )
        tally.expired += len(late)
    return [r for r in reminders if r["event_at"] > now]


async def dispatch_batch(
    session: aiohttp.ClientSession, tally: Round, limit: int = BATCH, reminder_id: int | None = None
) -> int:
    """One claim, its sends and their record; returns how many reminders it claimed."""
    token = secrets.token_hex(8)
    reminders = await claim(token, limit, reminder_id)
    claimed_at = time.monotonic()
    if not reminders:
        return 0
    tally.claimed += len(reminders)
    now = utcnow()
    live = await _expire(reminders, now, tally, token)
    if not live:
        return len(reminders)
    await _with_open_plan_items(live)
    jobs = await _jobs(live)
    gate, texts = asyncio.Semaphore(CONCURRENCY), dict[tuple[int, str], bytes]()
    sends = [asyncio.ensure_future(_send(session, gate, job, now, texts)) for job in jobs]
    if sends:
        # The batch ends well inside its lease, so no other dispatcher can claim it while it sends;
        # what has not finished by then is cancelled and retried.
        left = BATCH_DEADLINE.total_seconds() - (time.monotonic() - claimed_at)
        _done, late = await asyncio.wait(sends, timeout=max(0.0, left))
        for task in late:
            task.cancel()
        for job in jobs:
            job.outcome = job.outcome or "retry"
    await _record(live, jobs, now, tally, token)
    return len(reminders)


async def _with_open_plan_items(reminders: list[dict[str, Any]]) -> None:
    """A release reminder says how many items of the release plan are still open (a number only)."""
    releases = [r for r in reminders if r["kind"] == "release" and r["client"]]
    if releases:
        counts = await open_item_counts(list({r["client"] for r in releases}))
        for reminder in releases:
            reminder["open_items"] = counts.get(reminder["client"])


async def dispatch_due(session: aiohttp.ClientSession | None = None, stop: asyncio.Event | None = None) -> Round:
    """Send everything due now, batch after batch; stops between batches when asked."""
    tally = Round()
    own = session is None
    session = session or http_session()
    try:
        while not (stop and stop.is_set()):
            if not await dispatch_batch(session, tally):
                break
    finally:
        if own:
            await session.close()
    if tally.claimed:
        log.info(
            "reminders: %d claimed, %d sent to %d phones, %d retry, %d failed, %d expired, %d without a phone",
            tally.claimed,
            tally.sent,
            tally.deliveries,
            tally.retried,
            tally.failed,
            tally.expired,
            tally.no_device,
        )
    return tally


async def next_due_in(now: datetime | None = None) -> float | None:
    """Seconds until the next pending reminder falls due (None: nothing pending)."""
    now = now or utcnow()
    row = (
        await Reminder.select(Reminder.next_attempt_at)
        .where(Reminder.state == "pending")
        .order_by(Reminder.next_attempt_at)
        .first()
    )
    if row is None:
        return None
    return max(0.0, (row["next_attempt_at"] - now).total_seconds())


FINAL_STATES = ["sent", "no_device", "cancelled", "expired", "failed"]


async def purge_finished(before: datetime) -> int:
    """Reminders settled before `before` go, with their delivery rows (kept long enough for the
    lead's dashboard to show what reached the phones)."""
    old = Reminder.select(Reminder.id).where(Reminder.state.is_in(FINAL_STATES) & (Reminder.due_at < before))
    async with engine().transaction():
        await ReminderDelivery.delete().where(ReminderDelivery.reminder.is_in(old))
        removed = (
            await Reminder.delete()
            .where(Reminder.state.is_in(FINAL_STATES) & (Reminder.due_at < before))
            .returning(Reminder.id)
        )
    return len(removed)
