"""The secrets that seal what a user keeps on one device (see web/static/js/seal.js).

Three, all derived from the server secret, the user and a random id the device made for itself:

- the *device key* (kept on the phone, non-extractable): each waiting visit's summary (when, whom);
- the *unwrap key* (never stored on the phone): it unwraps the private key that opens the
  waiting visits' content, so that content opens only while the user's session is alive;
- the *session key* (kept on the phone, non-extractable), derived from the login session too:
  the pick list and the Today copy. A new login gets another one; the server answers it only to
  that session, so once the session has ended and the phone has deleted its copy of the key
  (logout, a page that finds the session gone, another login, a wipe), what those lists left on
  the phone can no longer be opened by anyone (crypto-shredding).

The device and unwrap keys are the same for the same user on the same device after logging out
and in again, so their sealed visits open again; another user of the phone, or someone holding it
after the session ended, cannot get them: only the user's own session is answered. Nothing is
stored here: rotating SECRET_KEY makes queues sealed before the rotation unreadable, which the
phone shows as such.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

from server.accounts.sessions import live_sessions
from server.accounts.tables import UserSession
from server.settings import get_settings
from server.timeutil import utcnow

DEVICE_KEY = b"rinnalla visit queue key v1"
UNWRAP_KEY = b"rinnalla visit unwrap key v1"
SESSION_KEY = b"rinnalla session data key v1"
SESSION_TAG = b"rinnalla session data tag v1"
TAG_LENGTH = 16


def derived_key(label: bytes, user_id: int, device_id: uuid.UUID, *more: str) -> str:
    """32 key bytes as base64url, for this purpose, user and device (and session, if given)."""
    message = b"\0".join([label, str(user_id).encode(), str(device_id).encode(), *(part.encode() for part in more)])
    digest = hmac.new(get_settings().secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def session_keys(session_id: int, user_id: int, device_id: uuid.UUID) -> dict[str, str] | None:
    """The live session's data key and a tag that names it (no secret: the phone compares tags to
    know its kept key is this session's), or None when the session has ended.

    The session's own secret is the hash of its cookie token, which the database keeps and the
    phone never sees (the cookie is HttpOnly): with the server secret it makes a key no other
    session, and no one without both, can make."""
    row = await (
        UserSession.select(UserSession.token_hash)
        .where((UserSession.id == session_id) & live_sessions(utcnow()))
        .first()
    )
    if row is None:
        return None
    secret = row["token_hash"]
    return {
        "session": derived_key(SESSION_KEY, user_id, device_id, secret),
        "session_tag": derived_key(SESSION_TAG, user_id, device_id, secret)[:TAG_LENGTH],
    }
