"""A closed client's own links stop: revoked, and the phones they reached are forgotten.

Separate from server.push.links (which needs the casework's client lookups) so that closing a
client in server.casework.clients can call it without an import cycle.
"""

from __future__ import annotations

from server.push.tables import PushSubscription, ReminderLink
from server.timeutil import utcnow


async def end_client_links(client_id: int) -> int:
    """Revokes every live link of the client and deletes its phones' subscriptions; returns how
    many links were live. Reopening the client does not bring them back: a new link is made."""
    ended = (
        await ReminderLink.update({ReminderLink.revoked_at: utcnow()})
        .where((ReminderLink.client == client_id) & ReminderLink.revoked_at.is_null())
        .returning(ReminderLink.id)
    )
    await PushSubscription.delete().where(
        PushSubscription.link.is_in(ReminderLink.select(ReminderLink.id).where(ReminderLink.client == client_id))
    )
    return len(ended)
