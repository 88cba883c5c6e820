"""The key that seals a user's waiting visits on one device.

Visits logged without network wait in the phone's IndexedDB, encrypted with AES-GCM under a
non-extractable WebCrypto key. The key's bytes come from here, derived from the server secret,
the user and a random id the device made for itself; so the same user on the same device gets
the same key back after logging out and in again (and the sealed visits open again), while
another user of the phone, or a thief after logout, can never get it: only the user's own
session is answered. Nothing is stored: rotating SECRET_KEY makes queues sealed before the
rotation unreadable, which the phone shows as such.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

from server.settings import get_settings

_LABEL = b"rinnalla visit queue key v1"


def queue_key(user_id: int, device_id: uuid.UUID) -> str:
    """32 key bytes as base64url, for this user on this device."""
    message = b"\0".join([_LABEL, str(user_id).encode(), str(device_id).encode()])
    digest = hmac.new(get_settings().secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
