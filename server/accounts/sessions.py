"""Server-side sessions: the cookie holds a random token, the database holds its hash.

A session ends on logout, after SESSION_IDLE_MINUTES without a request, SESSION_MAX_HOURS
after login, when a lead or admin revokes it (a lost phone), or when the user is disabled.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from piccolo.custom_types import Combinable

from server.accounts import devices
from server.accounts.tables import Pair, Team, User, UserSession
from server.casework.tables import CalendarFeed
from server.db.prepared import Statement
from server.push.tables import PushSubscription
from server.scope import CurrentUser, TeamScope
from server.settings import get_settings
from server.timeutil import utcnow

# last_seen_at is written at most this often, so reading a page is not a write per request.
TOUCH_INTERVAL = timedelta(seconds=60)


def cookie_name() -> str:
    # The __Host- prefix makes the browser insist on Secure, Path=/ and no Domain.
    return "__Host-rinnalla_session" if get_settings().is_https else "rinnalla_session"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def create_session(user_id: int, device: str) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    settings = get_settings()
    await UserSession.insert(
        UserSession(
            token_hash=hash_token(token),
            user=user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_max_hours),
            device=device[:120],
        )
    )
    return token


def live_sessions(now: datetime):
    """Sessions that still let their cookie in: not revoked, not expired, not idle too long."""
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    return UserSession.revoked_at.is_null() & (UserSession.expires_at > now) & (UserSession.last_seen_at > now - idle)


# One query per request for who is logged in (user, team, current pair and partner): this runs
# before every page and API call, so it is a prepared statement rather than four ORM joins, and
# it answers the two questions about times itself (no timestamps to convert back per request).
# `id + 0`: an expression has no declared type, so SQLite hands back its own integer instead of
# passing each id through Piccolo's INTEGER converter (five Python calls a request).
_RESOLVE = Statement("""
SELECT s.id + 0 AS session_id, s.last_seen_at < {} AS touch_due, u.id + 0 AS user_id, u.email, u.display_name,
       u.role, u.language, u.totp_enabled_at IS NOT NULL AS has_second_factor,
       u.password_change_due,
       t.id + 0 AS team_id, t.name AS team_name, p.id + 0 AS pair_id, partner.id + 0 AS partner_id,
       partner.display_name AS partner_name
FROM user_session s
JOIN app_user u ON u.id = s."user"
LEFT JOIN team t ON t.id = u.team
LEFT JOIN work_pair p ON p.ended_at IS NULL AND (p.first_member = u.id OR p.second_member = u.id)
LEFT JOIN app_user partner
       ON partner.id = CASE WHEN p.first_member = u.id THEN p.second_member ELSE p.first_member END
WHERE s.token_hash = {} AND s.revoked_at IS NULL AND s.expires_at > {} AND s.last_seen_at > {}
      AND u.is_active = {}
ORDER BY p.id
LIMIT 1
""")
_TOUCH = Statement("UPDATE user_session SET last_seen_at = {} WHERE id = {}")


async def resolve_session(token: str) -> CurrentUser | None:
    if not token or len(token) > 128:
        return None
    now = utcnow()
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    row = await _RESOLVE.first(now - TOUCH_INTERVAL, hash_token(token), now, now - idle, True)
    if row is None:
        return None
    if row["touch_due"]:
        await _TOUCH.fetch(now, row["session_id"])
    return CurrentUser(
        id=row["user_id"],
        email=row["email"],
        display_name=row["display_name"],
        role=row["role"],
        team_id=row["team_id"],
        team_name=row["team_name"],
        language=row["language"] or "",
        session_id=row["session_id"],
        pair_id=row["pair_id"],
        partner_id=row["partner_id"],
        partner_name=row["partner_name"],
        has_second_factor=bool(row["has_second_factor"]),
        password_change_due=bool(row["password_change_due"]),
    )


async def pair_of(user_id: int) -> tuple[int, str] | None:
    """The user's current work pair and the partner's display name."""
    row = await (
        Pair.select(
            Pair.id,
            Pair.first_member.id.as_alias("first_id"),
            Pair.first_member.display_name.as_alias("first_name"),
            Pair.second_member.display_name.as_alias("second_name"),
        )
        .where(Pair.ended_at.is_null() & ((Pair.first_member == user_id) | (Pair.second_member == user_id)))
        .first()
    )
    if row is None:
        return None
    partner = row["second_name"] if row["first_id"] == user_id else row["first_name"]
    return row["id"], partner


async def revoke_session(token: str) -> None:
    ended = (
        await UserSession.update({UserSession.revoked_at: utcnow()})
        .where((UserSession.token_hash == hash_token(token)) & UserSession.revoked_at.is_null())
        .returning(UserSession.id)
    )
    await _forget_phones([row["id"] for row in ended])


async def _forget_phones(session_ids: list[int]) -> None:
    """An ended session's phone (logout, a lost phone, a disabled account) gets no more pushes."""
    if session_ids:
        await PushSubscription.delete().where(PushSubscription.session_id.is_in(session_ids))


async def revoke_sessions(
    user_id: int, session_id: int | None = None, keep_session_id: int | None = None, wipe: bool = False
) -> int:
    """End one session of a user, all of them (a lost phone, a disabled account), or all but one.

    `wipe` (all of them only): each of the user's phones that still holds a cookie of theirs, also
    of a session that had ended before, deletes its cached data and waiting visits on its next
    contact (see server/accounts/middleware.py); a phone whose cookie has expired is reached by its own
    id (server/accounts/devices.py); and the user's calendar addresses stop (a lost phone's
    calendar app would otherwise keep fetching the pair's appointments).
    """
    condition = (UserSession.user == user_id) & UserSession.revoked_at.is_null()
    if session_id is not None:
        condition &= UserSession.id == session_id
    if keep_session_id is not None:
        condition &= UserSession.id != keep_session_id
    ended = await UserSession.update({UserSession.revoked_at: utcnow()}).where(condition).returning(UserSession.id)
    if session_id is not None:
        await _forget_phones([row["id"] for row in ended])
    else:  # every phone but this one (or all of them): whatever session last saved them
        phones: Combinable = PushSubscription.user == user_id
        if keep_session_id is not None:
            phones &= (PushSubscription.session_id != keep_session_id) | PushSubscription.session_id.is_null()
        await PushSubscription.delete().where(phones)
        if wipe and keep_session_id is None:
            await UserSession.update({UserSession.wipe: True}).where(UserSession.user == user_id)
            await devices.mark_for_wipe(user_id)
            await CalendarFeed.update({CalendarFeed.revoked_at: utcnow()}).where(
                (CalendarFeed.user == user_id) & CalendarFeed.revoked_at.is_null()
            )
    return len(ended)


async def session_ends_by(session_id: int) -> str | None:
    """When a session ends if nothing more is done with it (idle time or its maximum), as ISO."""
    row = (
        await UserSession.select(UserSession.expires_at, UserSession.last_seen_at)
        .where(UserSession.id == session_id)
        .first()
    )
    if row is None:
        return None
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    return min(row["expires_at"], row["last_seen_at"] + idle).isoformat()


async def is_wiped(token: str) -> bool:
    """Whether this cookie belongs to a session a lead ended with "wipe" (a lost phone)."""
    if not token or len(token) > 128:
        return False
    return await UserSession.exists().where((UserSession.token_hash == hash_token(token)) & (UserSession.wipe == True))  # noqa: E712


async def active_sessions(user_id: int) -> list[dict]:
    return await (
        UserSession.select(UserSession.id, UserSession.created_at, UserSession.last_seen_at, UserSession.device)
        .where((UserSession.user == user_id) & live_sessions(utcnow()))
        .order_by(UserSession.last_seen_at, ascending=False)
    )


async def live_session_counts(user_ids: list[int]) -> dict[int, int]:
    rows = await UserSession.select(UserSession.user).where(
        UserSession.user.is_in(user_ids or [-1]) & live_sessions(utcnow())
    )
    counts: dict[int, int] = {}
    for row in rows:
        counts[row["user"]] = counts.get(row["user"], 0) + 1
    return counts


async def purge_ended_sessions(older_than: datetime) -> int:
    """Housekeeping for the worker: drop rows of sessions that ended before `older_than`."""
    gone = (
        await UserSession.delete()
        .where((UserSession.expires_at < older_than) | (UserSession.revoked_at < older_than))
        .returning(UserSession.id)
    )
    return len(gone)


async def user_by_email(email: str) -> dict | None:
    return await User.select().where(User.email == email.strip().lower()).first()


async def scope_for(user: CurrentUser) -> TeamScope:
    if user.is_admin:
        rows = await Team.select(Team.id).order_by(Team.id)
        return TeamScope(user=user, team_ids=tuple(row["id"] for row in rows))
    return TeamScope(user=user, team_ids=(user.team_id,) if user.team_id is not None else ())
