"""Phones that take pushes: a worker's own devices, and the phones a client's link turned on."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from piccolo.columns import Column
from piccolo.custom_types import Combinable

from server.i18n import N_
from server.observability import metrics
from server.push.endpoints import endpoint_allowed
from server.push.tables import PushSubscription
from server.push.vapid import public_key
from server.timeutil import utcnow
from server.validation import InvalidInput

_BROWSERS = (
    ("Edg/", "Edge"),
    ("SamsungBrowser", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("CriOS", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "Mac"),
    ("Linux", "Linux"),
)


def device_name(user_agent: str) -> str:
    """ "Chrome, Android": enough to tell one's phones apart, nothing more of the user agent is kept."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), "")
    return ", ".join(part for part in (browser, system) if part)


def _b64url_bytes(value: Any) -> bytes | None:
    if not isinstance(value, str) or not value or len(value) > 200:
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def read_subscription(raw: Any) -> dict[str, str]:
    """The browser's PushSubscription JSON, checked: an allowed endpoint and real P-256 keys."""
    if not isinstance(raw, dict):
        raise InvalidInput({"body": N_("Send a JSON object.")})
    errors: dict[str, str] = {}
    endpoint = raw.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        errors["endpoint"] = N_("This field is required.")
    elif not endpoint_allowed(endpoint):
        errors["endpoint"] = N_("Not a known push service.")
    keys = raw["keys"] if isinstance(raw.get("keys"), dict) else {}
    p256dh, auth = _b64url_bytes(keys.get("p256dh")), _b64url_bytes(keys.get("auth"))
    try:
        if p256dh is None or len(p256dh) != 65:
            raise ValueError
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh)
    except ValueError:
        errors["keys.p256dh"] = N_("Not a valid key.")
    if auth is None or len(auth) != 16:
        errors["keys.auth"] = N_("Not a valid key.")
    if errors:
        raise InvalidInput(errors)
    assert isinstance(endpoint, str)  # refused above otherwise
    return {"endpoint": endpoint, "p256dh": keys["p256dh"], "auth": keys["auth"]}


class PhoneTakenByOther(Exception):
    """The phone takes a worker's reminders and a client's link asks for it, or the other way round."""


MAX_PHONES_PER_USER = 10
MAX_PHONES_PER_LINK = 5  # a link passed around cannot fan one reminder out to a crowd


async def save_subscription(
    subscription: dict[str, str],
    device: str,
    language: str,
    *,
    user_id: int | None = None,
    session_id: int | None = None,
    link_id: int | None = None,
) -> tuple[int, bool]:
    """Insert or refresh by endpoint; returns the row id and whether it is new.

    A phone passes from one worker to another with a login (a shared phone), but never between a
    worker and a client's link: one browser has one subscription, and a worker opening a
    client's link must not start getting the client's reminders, nor stop getting their own.
    """
    now = utcnow()
    values: dict[Column, Any] = {
        PushSubscription.p256dh: subscription["p256dh"],
        PushSubscription.auth: subscription["auth"],
        PushSubscription.user: user_id,
        PushSubscription.session_id: session_id,
        PushSubscription.link: link_id,
        PushSubscription.vapid_key: public_key(),
        PushSubscription.device: device[:120],
        PushSubscription.language: language,
        PushSubscription.last_seen_at: now,
    }
    current = (
        await PushSubscription.select(PushSubscription.id, PushSubscription.user, PushSubscription.link)
        .where(PushSubscription.endpoint == subscription["endpoint"])
        .first()
    )
    if current is not None:
        if (current["link"] is None) != (link_id is None):
            raise PhoneTakenByOther()
        update = {column: value for column, value in values.items() if column is not PushSubscription.device or value}
        await PushSubscription.update(update).where(PushSubscription.id == current["id"])  # type: ignore[arg-type]  # Piccolo's stub: invariant dict
        return current["id"], False
    rows = (
        await PushSubscription.insert(
            PushSubscription(
                endpoint=subscription["endpoint"], created_at=now, **{c._meta.name: v for c, v in values.items()}
            )
        )
        .on_conflict(target=PushSubscription.endpoint, action="DO NOTHING")
        .returning(PushSubscription.id)
    )
    if not rows:  # the same phone saved twice at once: the other request inserted it
        return await save_subscription(
            subscription, device, language, user_id=user_id, session_id=session_id, link_id=link_id
        )
    await _keep_newest(
        PushSubscription.user == user_id if link_id is None else PushSubscription.link == link_id,
        MAX_PHONES_PER_USER if link_id is None else MAX_PHONES_PER_LINK,
    )
    return rows[0]["id"], True


async def _keep_newest(owner, most: int) -> None:
    """An owner's phones beyond `most` go, the longest unseen first (old phones, reinstalled apps)."""
    rows = (
        await PushSubscription.select(PushSubscription.id)
        .where(owner)
        .order_by(PushSubscription.last_seen_at, ascending=False)
        .offset(most)
        .limit(1000)
    )
    if rows:
        await PushSubscription.delete().where(PushSubscription.id.is_in([row["id"] for row in rows]))


async def user_devices(user_id: int) -> list[dict[str, Any]]:
    return await (
        PushSubscription.select(
            PushSubscription.id,
            PushSubscription.device,
            PushSubscription.created_at,
            PushSubscription.last_seen_at,
            PushSubscription.last_success_at,
        )
        .where(PushSubscription.user == user_id)
        .order_by(PushSubscription.created_at)
    )


async def remove_user_device(user_id: int, *, subscription_id: int | None = None, endpoint: str | None = None) -> bool:
    condition: Combinable = PushSubscription.user == user_id
    if subscription_id is not None:
        condition &= PushSubscription.id == subscription_id
    elif endpoint is not None:
        condition &= PushSubscription.endpoint == endpoint
    else:
        return False
    removed = await PushSubscription.delete().where(condition).returning(PushSubscription.id)
    return bool(removed)


async def remove_link_device(link_id: int, endpoint: str) -> bool:
    removed = (
        await PushSubscription.delete()
        .where((PushSubscription.link == link_id) & (PushSubscription.endpoint == endpoint))
        .returning(PushSubscription.id)
    )
    return bool(removed)


async def phone_figures() -> None:
    """Phones that take pushes, for /metrics (read at scrape time)."""
    metrics.PHONES.set(await PushSubscription.count())
