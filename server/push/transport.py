"""Web Push on the wire (RFC 8291 encryption, RFC 8030 delivery): the only user of pywebpush.

The dispatcher (server/push/dispatcher.py) decides what to send to whom and records what
happened; this module encrypts one payload for one phone, POSTs it to the phone's push service
and says what the answer means (sent, gone, retry, failed).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
from pywebpush import WebPusher

from server.push.endpoints import address_allowed, audience
from server.push.vapid import authorization
from server.timeutil import utcnow

log = logging.getLogger("rinnalla.push")

CONCURRENCY = 64
REQUEST_TIMEOUT = 10.0


@dataclass
class Answer:
    """What the push service said: `outcome` is sent, gone, retry or failed."""

    outcome: str
    status: int | None = None
    retry_after: timedelta | None = None
    refused_address: bool = False  # the endpoint's name resolves inside the network: never POSTed


def encrypt(subscription: dict[str, Any], text: bytes) -> bytes:
    info = {
        "endpoint": subscription["endpoint"],
        "keys": {"p256dh": subscription["p256dh"], "auth": subscription["auth"]},
    }
    return WebPusher(info).encode(text, "aes128gcm")["body"]


def headers_for(endpoint: str, ttl: int, urgent: bool, topic: str) -> dict[str, str]:
    return {
        "Authorization": authorization(audience(endpoint)),
        "TTL": str(ttl),
        "Urgency": "high" if urgent else "normal",
        "Topic": topic,
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
    }


async def post(session: aiohttp.ClientSession, endpoint: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST one encrypted message; never inside the network, whatever the name says."""
    if not await address_allowed(endpoint):
        return Answer("failed", refused_address=True)
    try:
        async with session.post(endpoint, data=body, headers=headers, allow_redirects=False) as response:
            retry_after = response.headers.get("Retry-After")
            await response.read()
    except (TimeoutError, aiohttp.ClientError, OSError):
        return Answer("retry")
    outcome = _outcome(response.status, endpoint)
    return Answer(outcome, response.status, _retry_after(retry_after) if outcome == "retry" else None)


def _retry_after(value: str | None) -> timedelta | None:
    if not value:
        return None
    if value.strip().isdigit():
        return timedelta(seconds=int(value.strip()))
    try:
        return max(timedelta(0), parsedate_to_datetime(value) - utcnow())
    except (TypeError, ValueError):
        return None


def _outcome(status: int, endpoint: str) -> str:
    if status in (200, 201, 202):
        return "sent"
    if status in (404, 410):
        return "gone"
    if status == 429 or status >= 500 or (status == 406 and ".notify.windows.com" in endpoint):
        return "retry"  # WNS says 406 where others say 429
    return "failed"  # 400/401/403/413: our key or payload; retrying the same would fail the same


def http_session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=CONCURRENCY, ttl_dns_cache=300),
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT, connect=5),
    )
