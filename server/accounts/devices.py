"""Phones known by the random id each made for itself (web/static/js/seal.js, deviceId()).

A phone's session cookie may have expired long before anyone notices the phone is lost; the
wipe a lead asks for must still reach it. The phone tells its id when it fetches its keys with a
live session (server/offline/routes.py); a wipe marks every phone of the user; and a phone with
no session asks by its id alone whether it is to wipe. Only a hash of the id is kept, and only
while it may still matter (purge_unseen, run by the worker's housekeeping with the sessions').
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from server.accounts.tables import KnownDevice
from server.timeutil import utcnow


def _hash(device_id: uuid.UUID | str) -> str:
    return hashlib.sha256(str(device_id).lower().encode("ascii", "ignore")).hexdigest()


async def remember(user_id: int, device_id: uuid.UUID) -> None:
    """The user's live session on this phone: known from now on, and any old wipe marker of
    theirs is spent (they logged in on it again, so they have it back)."""
    key = _hash(device_id)
    updated = (
        await KnownDevice.update({KnownDevice.seen_at: utcnow(), KnownDevice.wipe_at: None})
        .where((KnownDevice.user == user_id) & (KnownDevice.device_hash == key))
        .returning(KnownDevice.id)
    )
    if not updated:
        await KnownDevice.insert(KnownDevice(user=user_id, device_hash=key, seen_at=utcnow()))


async def mark_for_wipe(user_id: int) -> None:
    await KnownDevice.update({KnownDevice.wipe_at: utcnow()}).where(KnownDevice.user == user_id)


async def purge_unseen(not_seen_since: datetime, marked_before: datetime) -> int:
    """Forget phones that fetched no keys since `not_seen_since` (every session they had has ended
    and its row is gone) and carry no wipe marker newer than `marked_before`: a lost phone's marker
    waits longer, for the phone to be switched on again somewhere."""
    gone = (
        await KnownDevice.delete()
        .where(
            (KnownDevice.seen_at < not_seen_since)
            & (KnownDevice.wipe_at.is_null() | (KnownDevice.wipe_at < marked_before))
        )
        .returning(KnownDevice.id)
    )
    return len(gone)


async def is_marked(device_id: uuid.UUID) -> bool:
    return await KnownDevice.exists().where(
        (KnownDevice.device_hash == _hash(device_id)) & KnownDevice.wipe_at.is_not_null()
    )
