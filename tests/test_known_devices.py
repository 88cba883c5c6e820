"""Issue 19, a trust gap: phones known by their own id (`known_device`, for a wipe that must reach
a phone whose cookie expired) are forgotten by the worker's housekeeping with the ended sessions,
except a lost phone's wipe marker, which waits longer for the phone to come online."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from server.accounts import devices
from server.accounts.tables import KnownDevice
from server.timeutil import utcnow
from server.worker import SESSION_ROWS_KEPT, WIPE_MARKERS_KEPT, housekeeping

pytestmark = pytest.mark.anyio


async def _phone(user_id: int, seen_days_ago: int, marked_days_ago: int | None = None) -> uuid.UUID:
    device_id = uuid.uuid4()
    await devices.remember(user_id, device_id)
    now = utcnow()
    marked = None if marked_days_ago is None else now - timedelta(days=marked_days_ago)
    await KnownDevice.update(
        {KnownDevice.seen_at: now - timedelta(days=seen_days_ago), KnownDevice.wipe_at: marked}
    ).where(KnownDevice.device_hash == devices._hash(device_id))
    return device_id


async def test_housekeeping_forgets_phones_unseen_since_their_sessions_went_but_keeps_fresh_wipe_markers(world):
    kept_days, marker_days = SESSION_ROWS_KEPT.days, WIPE_MARKERS_KEPT.days
    in_use = await _phone(world.alice, seen_days_ago=1)
    unseen = await _phone(world.alice, seen_days_ago=kept_days + 1)
    lost = await _phone(world.bob, seen_days_ago=kept_days + 1, marked_days_ago=kept_days)
    lost_long_ago = await _phone(world.bob, seen_days_ago=marker_days + 2, marked_days_ago=marker_days + 1)

    await housekeeping()

    left = {row["device_hash"] for row in await KnownDevice.select(KnownDevice.device_hash)}
    assert left == {devices._hash(in_use), devices._hash(lost)}
    assert await devices.is_marked(lost)  # the lost phone is still told to wipe when it asks
    assert not await devices.is_marked(unseen) and not await devices.is_marked(lost_long_ago)
