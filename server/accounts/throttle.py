"""Login throttling kept in the database, so every web process counts the same failures."""

from __future__ import annotations

import hashlib
import logging
import math
from datetime import timedelta

from server.accounts.tables import LoginFailure
from server.observability import metrics
from server.settings import get_settings
from server.timeutil import utcnow

security_log = logging.getLogger("rinnalla.security")


def account_key(email: str) -> str:
    # A hash, so a mistyped password pasted into the email field is not stored readable.
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


# The first wait after a limit is reached; each further failure past it doubles the wait, up to
# the window. A throttled attempt is not counted, so Retry-After is the truth: come back then and
# the password is checked.
FIRST_WAIT_SECONDS = 30


def _wait_after(failures: int, limit: int, last_failure, window: timedelta) -> int:
    if failures < limit:
        return 0
    delay = min(FIRST_WAIT_SECONDS * 2 ** min(failures - limit, 16), int(window.total_seconds()))
    remaining = (last_failure + timedelta(seconds=delay) - utcnow()).total_seconds()
    return math.ceil(remaining) if remaining > 0 else 0


async def _failures_before(condition, attempt_id: int, since) -> tuple[int, object]:
    condition = condition & (LoginFailure.failed_at > since) & (LoginFailure.id < attempt_id)
    count = await LoginFailure.count().where(condition)
    if not count:
        return 0, None
    last = (
        await LoginFailure.select(LoginFailure.failed_at)
        .where(condition)
        .order_by(LoginFailure.failed_at, ascending=False)
        .first()
    )
    assert last is not None  # counted above, so there is a latest
    return count, last["failed_at"]


async def register_attempt(email: str, address: str) -> int:
    """Count this attempt first, then check: concurrent guesses cannot all slip under the limit.

    Returns 0 when the password may be checked now, else how many seconds to wait. Failures are
    counted per account *and address* and per address: someone guessing from elsewhere never
    locks the owner out, and a right password from an address with no failures always gets in.
    The account as a whole only slows down: past as many failures as one address may make,
    each address that has itself failed at the account waits longer and longer. A successful
    login clears only its own address's failures at the account (clear_account).
    """
    key, address = account_key(email), address[:64]
    inserted = await LoginFailure.insert(LoginFailure(account_key=key, address=address, failed_at=utcnow())).returning(
        LoginFailure.id
    )
    attempt_id = inserted[0]["id"]
    settings = get_settings()
    window = timedelta(minutes=settings.login_window_minutes)
    since = utcnow() - window
    pair = (LoginFailure.account_key == key) & (LoginFailure.address == address)
    pair_failures, pair_last = await _failures_before(pair, attempt_id, since)
    checks = [
        (pair_failures, pair_last, settings.login_max_failures_per_account),
        (
            *await _failures_before(LoginFailure.address == address, attempt_id, since),
            settings.login_max_failures_per_address,
        ),
    ]
    if pair_failures:
        account_failures, _last = await _failures_before(LoginFailure.account_key == key, attempt_id, since)
        checks.append((account_failures, pair_last, settings.login_max_failures_per_address))
    wait = max(_wait_after(failures, limit, last, window) for failures, last, limit in checks)
    if wait:
        await LoginFailure.delete().where(LoginFailure.id == attempt_id)
        # The security log: where guessing comes from (the address), never whose account.
        security_log.warning("login throttled: address %s must wait %d s", address, wait)
    return wait


async def register_failure(email: str, address: str) -> None:
    """A failure after the password was checked (a wrong second-factor code)."""
    await LoginFailure.insert(LoginFailure(account_key=account_key(email), address=address[:64], failed_at=utcnow()))


async def clear_account(email: str, address: str) -> None:
    """A login succeeded: this address's failures at the account go; others' keep counting."""
    await LoginFailure.delete().where(
        (LoginFailure.account_key == account_key(email)) & (LoginFailure.address == address[:64])
    )


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
    rows = await (
        LoginFailure.select(LoginFailure.failed_at)
        .where(
            (LoginFailure.account_key == scope)
            & (LoginFailure.address == _scoped(scope, address))
            & (LoginFailure.failed_at > utcnow() - window)
        )
        .order_by(LoginFailure.failed_at, ascending=False)
        .limit(limit)
    )
    if len(rows) < limit:
        return 0
    return max(1, int((rows[-1]["failed_at"] + window - utcnow()).total_seconds()) + 1)


async def register_wrong_guess(scope: str, address: str) -> None:
    await LoginFailure.insert(LoginFailure(account_key=scope, address=_scoped(scope, address), failed_at=utcnow()))


def _scoped(scope: str, address: str) -> str:
    return f"{scope}|{address}"[:64]


async def throttle_figures() -> None:
    """Failed logins the throttle still counts, for /metrics (read at scrape time)."""
    metrics.FAILURES_NOW.set(await LoginFailure.count())
