"""A login half done: the password is proven, the second-factor code is still to come.

The password step answers a user with a second factor by sending them to the code step; what
carries them over is a random token in a short-lived cookie (only its hash is kept here, never
the password). The code step has its own few tries, and its wrong codes count towards the login
throttle of the account and address like wrong passwords.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from server.accounts.sessions import hash_token
from server.accounts.tables import PendingLogin, User
from server.settings import get_settings
from server.timeutil import utcnow

LIFETIME = timedelta(minutes=5)
MAX_CODE_TRIES = 5


def cookie_name() -> str:
    return "__Host-rinnalla_login" if get_settings().is_https else "rinnalla_login"


async def start(user_id: int, address: str, next_path: str) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    await PendingLogin.delete().where(PendingLogin.expires_at < now)  # housekeeping as we go
    await PendingLogin.insert(
        PendingLogin(
            token_hash=hash_token(token),
            user=user_id,
            address=address[:64],
            next=next_path[:300],
            created_at=now,
            expires_at=now + LIFETIME,
        )
    )
    return token


async def find(token: str | None) -> dict[str, Any] | None:
    """The live pending login of this cookie, with its user's second-factor columns."""
    if not token or len(token) > 128:
        return None
    pending = (
        await PendingLogin.select(PendingLogin.id, PendingLogin.user, PendingLogin.next, PendingLogin.failures)
        .where((PendingLogin.token_hash == hash_token(token)) & (PendingLogin.expires_at > utcnow()))
        .first()
    )
    if pending is None:
        return None
    user = (
        await User.select(User.id, User.email, User.role, User.totp_secret, User.totp_enabled_at)
        .where((User.id == pending["user"]) & (User.is_active == True))  # noqa: E712 - a SQL condition
        .first()
    )
    return {**pending, "user": user} if user else None


async def wrong_code(pending_id: int) -> bool:
    """Counts a wrong code; True when the tries are used up (the pending login is gone)."""
    rows = (
        await PendingLogin.update({PendingLogin.failures: PendingLogin.failures + 1})
        .where(PendingLogin.id == pending_id)
        .returning(PendingLogin.failures)
    )
    if not rows or rows[0]["failures"] >= MAX_CODE_TRIES:
        await finish(pending_id)
        return True
    return False


async def finish(pending_id: int) -> None:
    await PendingLogin.delete().where(PendingLogin.id == pending_id)
