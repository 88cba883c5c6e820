"""Login throttling kept in the database, so every web process counts the same failures."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from server.accounts.tables import LoginFailure
from server.settings import get_settings
from server.timeutil import utcnow

security_log = logging.getLogger("rinnalla.security")


def account_key(email: str) -> str:
    # A hash, so a mistyped password pasted into the email field is not stored readable.
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


async def register_attempt(email: str, address: str) -> int:
    """Count this attempt first, then check: concurrent guesses cannot all slip under the limit.

    Returns 0 when the password may be checked now, else how many seconds to wait. A successful
    login clears the account's rows (clear_account), so only failures keep counting.
    """
    await LoginFailure.insert(LoginFailure(account_key=account_key(email), address=address[:64], failed_at=utcnow()))
    settings = get_settings()
    window = timedelta(minutes=settings.login_window_minutes)
    since = utcnow() - window
    checks = (
        (LoginFailure.account_key == account_key(email), settings.login_max_failures_per_account),
        (LoginFailure.address == address, settings.login_max_failures_per_address),
    )
    wait = 0
    for condition, limit in checks:
        limit += 1  # the attempt being made now is not yet a failure
        rows = await (
            LoginFailure.select(LoginFailure.failed_at)
            .where(condition & (LoginFailure.failed_at > since))
            .order_by(LoginFailure.failed_at, ascending=False)
            .limit(limit)
        )
        if len(rows) >= limit:
            # Allowed again when the oldest of these attempts leaves the window.
            oldest = rows[-1]["failed_at"]
            wait = max(wait, int((oldest + window - utcnow()).total_seconds()) + 1)
    if wait:
        # The security log: where guessing comes from (the address), never whose account.
        security_log.warning("login throttled: address %s must wait %d s", address[:64], wait)
    return wait


async def clear_account(email: str) -> None:
    await LoginFailure.delete().where(LoginFailure.account_key == account_key(email))


async def purge_old_failures() -> None:
    window = timedelta(minutes=get_settings().login_window_minutes)
    await LoginFailure.delete().where(LoginFailure.failed_at < utcnow() - window)


async def guessing_wait(scope: str, address: str, limit: int) -> int:
    """Seconds an address must wait after `limit` wrong guesses at a secret link (0: go on).

    The failures share the login failures' table (so every web process counts them) under a
    scope name in place of an account, and a scoped address, so they never count towards the
    login limit of the address.
    """
    window = timedelta(minutes=get_settings().login_window_minutes)
    rows = await (LoginFailure.select(LoginFailure.failed_at)
                  .where((LoginFailure.account_key == scope) & (LoginFailure.address == _scoped(scope, address))
                         & (LoginFailure.failed_at > utcnow() - window))
                  .order_by(LoginFailure.failed_at, ascending=False).limit(limit))
    if len(rows) < limit:
        return 0
    return max(1, int((rows[-1]["failed_at"] + window - utcnow()).total_seconds()) + 1)


async def register_wrong_guess(scope: str, address: str) -> None:
    await LoginFailure.insert(LoginFailure(account_key=scope, address=_scoped(scope, address), failed_at=utcnow()))


def _scoped(scope: str, address: str) -> str:
    return f"{scope}|{address}"[:64]
