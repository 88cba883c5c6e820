"""Login throttling kept in the database, so every web process counts the same failures."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from server.accounts.tables import LoginFailure
from server.settings import get_settings
from server.timeutil import utcnow


def account_key(email: str) -> str:
    # A hash, so a mistyped password pasted into the email field is not stored readable.
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


async def seconds_until_allowed(email: str, address: str) -> int:
    """0 when a login may be tried now, else how long the caller should wait."""
    settings = get_settings()
    window = timedelta(minutes=settings.login_window_minutes)
    since = utcnow() - window
    checks = (
        (LoginFailure.account_key == account_key(email), settings.login_max_failures_per_account),
        (LoginFailure.address == address, settings.login_max_failures_per_address),
    )
    wait = 0
    for condition, limit in checks:
        rows = await (
            LoginFailure.select(LoginFailure.failed_at)
            .where(condition & (LoginFailure.failed_at > since))
            .order_by(LoginFailure.failed_at, ascending=False)
            .limit(limit)
        )
        if len(rows) >= limit:
            # Allowed again when the oldest of the last `limit` failures leaves the window.
            oldest = rows[-1]["failed_at"]
            wait = max(wait, int((oldest + window - utcnow()).total_seconds()) + 1)
    return wait


async def record_failure(email: str, address: str) -> None:
    await LoginFailure.insert(LoginFailure(account_key=account_key(email), address=address[:64], failed_at=utcnow()))


async def clear_account(email: str) -> None:
    await LoginFailure.delete().where(LoginFailure.account_key == account_key(email))


async def purge_old_failures() -> None:
    window = timedelta(minutes=get_settings().login_window_minutes)
    await LoginFailure.delete().where(LoginFailure.failed_at < utcnow() - window)
