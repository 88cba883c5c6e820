"""The secrets that seal a user's waiting visits on one device (see web/static/js/seal.js).

Two, both derived from the server secret, the user and a random id the device made for itself:
the *device key* (kept on the phone, non-extractable: pseudonyms and visit summaries) and the
*unwrap key* (never stored on the phone: it unwraps the private key that opens the visits'
content, so that content opens only while the user's session is alive). The same user on the
same device gets the same secrets back after logging out and in again, so their sealed visits
open again; another user of the phone, or someone holding it after the session ended, cannot
get them: only the user's own session is answered. Nothing is stored here: rotating SECRET_KEY
makes queues sealed before the rotation unreadable, which the phone shows as such.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

from server.settings import get_settings

DEVICE_KEY = b"rinnalla visit queue key v1"
UNWRAP_KEY = b"rinnalla visit unwrap key v1"


def derived_key(label: bytes, user_id: int, device_id: uuid.UUID) -> str:
    """32 key bytes as base64url, for this purpose, user and device."""
    message = b"\0".join([label, str(user_id).encode(), str(device_id).encode()])
    digest = hmac.new(get_settings().secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
