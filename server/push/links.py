"""A client's own reminder link: no account, just a long random token the worker shows as a QR code.

Only the token's hash is stored; a worker can revoke the link (its phones stop at once), and
wrong tokens are counted per address so the links cannot be guessed by trying.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from server.accounts.throttle import guessing_wait, register_wrong_guess
from server.audit.uselog import log_client_write
from server.casework.clients import require_client
from server.casework.tables import Appointment
from server.db.lifecycle import engine
from server.db.prepared import placeholders, statement
from server.i18n import LANGUAGES
from server.push.tables import PushSubscription, ReminderLink
from server.scope import TeamScope
from server.settings import get_settings
from server.timeutil import utcnow

THROTTLE_SCOPE = "reminder-link"
MAX_WRONG_GUESSES = 10  # per address and window: a person mistyping never gets near it
TOKEN_BYTES = 32
UPCOMING = timedelta(days=120)


class TooManyGuesses(Exception):
    def __init__(self, wait_seconds: int) -> None:
        super().__init__(wait_seconds)
        self.wait_seconds = wait_seconds


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def link_url(token: str) -> str:
    return f"{get_settings().base_url}/r/{token}"


async def create_link(walls: TeamScope, client_id: int, language: str) -> str:
    client = await require_client(walls, client_id)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    async with engine().transaction():
        rows = await ReminderLink.insert(
            ReminderLink(
                client=client["id"],
                team=client["team"],
                token_hash=_hash(token),
                language=language if language in LANGUAGES else "fi",
                created_by=walls.user.id,
            )
        )
        await log_client_write(walls, client["id"], client["team"], "create", f"reminder_link:{rows[0]['id']}")
    return token


async def client_links(walls: TeamScope, client_id: int) -> list[dict[str, Any]]:
    """The client's links in force, each with how many phones it reaches: one query, as SQL written
    once per shape (server/db/prepared.py), for the client page."""
    teams = walls.team_id_list()
    return await statement(
        "SELECT l.id, l.created_at, l.language, "  # nosec B608 # placeholders only
        "(SELECT COUNT(*) FROM push_subscription p WHERE p.link = l.id) AS phones "
        f"FROM reminder_link l WHERE l.team IN ({placeholders(len(teams))}) AND l.client = {{}} "
        "AND l.revoked_at IS NULL ORDER BY l.created_at"
    ).fetch(*teams, client_id)


async def revoke_link(walls: TeamScope, link_id: int) -> int:
    """Stops the link and forgets its phones; returns the client's id."""
    link = await walls.get(ReminderLink, link_id, ReminderLink.id, ReminderLink.client, ReminderLink.team)
    async with engine().transaction():
        revoked = (
            await ReminderLink.update({ReminderLink.revoked_at: utcnow()})
            .where((ReminderLink.id == link_id) & ReminderLink.revoked_at.is_null())
            .returning(ReminderLink.id)
        )
        await PushSubscription.delete().where(PushSubscription.link == link_id)
        if revoked:  # revoking a revoked link again changes nothing
            await log_client_write(walls, link["client"], link["team"], "delete", f"reminder_link:{link_id}")
    return link["client"]


async def open_link(token: str, address: str) -> dict[str, Any] | None:
    """The link of a token, or None; raises TooManyGuesses for an address that keeps guessing.

    A right token always opens: the wrong guesses are counted per address, and a client on the
    same shelter Wi-Fi as someone guessing must still reach their own page (a 256-bit token is
    not found by guessing, so letting it through gives a guesser nothing). A link that was
    stopped, or whose client's work has ended, is found with `ended` set: the client then gets a
    page saying so (a right token is no wrong guess)."""
    link = None
    if 20 <= len(token) <= 100:
        link = (
            await ReminderLink.select(
                ReminderLink.id,
                ReminderLink.client,
                ReminderLink.team,
                ReminderLink.language,
                ReminderLink.revoked_at,
                ReminderLink.client.status.as_alias("client_status"),
            )
            .where(ReminderLink.token_hash == _hash(token))
            .first()
        )
    if link is not None:
        link["ended"] = link["revoked_at"] is not None or link["client_status"] == "closed"
        return link
    wait = await guessing_wait(THROTTLE_SCOPE, address, MAX_WRONG_GUESSES)
    if wait:
        raise TooManyGuesses(wait)
    await register_wrong_guess(THROTTLE_SCOPE, address)
    return None


async def upcoming_appointments(client_id: int) -> list[dict[str, Any]]:
    """What the client sees on their own phone: when, where and with whom; never the workers' notes."""
    now = utcnow()
    return (
        await Appointment.select(
            Appointment.id,
            Appointment.client,
            Appointment.starts_at,
            Appointment.place,
            Appointment.with_whom,
            Appointment.remind_client,
        )
        .where(
            (Appointment.client == client_id)
            & Appointment.cancelled_at.is_null()
            & (Appointment.starts_at > now)
            & (Appointment.starts_at < now + UPCOMING)
        )
        .order_by(Appointment.starts_at)
    )


async def link_phones(link_id: int) -> int:
    return await PushSubscription.count().where(PushSubscription.link == link_id)
