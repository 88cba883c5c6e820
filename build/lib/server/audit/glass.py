"""Break-the-glass: a night-shift pair meets another team's client.

A worker may search the whole organisation by pseudonym (only the pseudonym and the team are
shown), and open one such client after giving a reason: read only, for 12 hours, every use
logged with the reason, and shown to the leads of both teams. Without an opening, another team's
client stays 404, exactly as before.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar.exceptions import NotFoundException

from server.audit import chain
from server.audit.tables import GlassAccess
from server.audit.uselog import use_row, log_client_read, log_client_reads, log_refused
from server.casework.clients import search_key
from server.casework.tables import AccessLog, Client
from server.casework.validation import InvalidInput, Reader
from server.i18n import N_
from server.scope import MAX_ID, TeamScope
from server.timeutil import utcnow

OPEN_FOR = timedelta(hours=12)
MIN_QUERY = 3  # a search must name someone, not list the organisation
MAX_RESULTS = 20
MAX_REASON = 500


async def search_organisation(walls: TeamScope, query: str) -> list[dict[str, Any]]:
    """Other teams' clients whose pseudonym contains the query: pseudonym and team only."""
    key = "".join(ch for ch in search_key(query) if ch not in "%_\\").strip()
    if len(key) < MIN_QUERY:
        raise InvalidInput({"q": N_("Type at least three letters of the name.")})
    rows = await (Client.select(Client.id, Client.pseudonym, Client.team, Client.team.name.as_alias("team_name"))
                  .where(Client.team.not_in(list(walls.team_ids) or [-1]) & Client.search_key.like(f"%{key}%")
                         & (Client.status != "purged"))
                  .order_by(Client.pseudonym).limit(MAX_RESULTS))
    if rows:
        await chain.append(AccessLog, [{**use_row(walls, row["id"], row["team"], "org_search", "search", "pseudonym"),
                                        "basis": "org_search"} for row in rows])
    return rows


def read_reason(raw: dict[str, Any]) -> str:
    reader = Reader(raw)
    reason = reader.text("reason", MAX_REASON, required=True, multiline=True)
    reader.done()
    return reason


async def open_client(walls: TeamScope, client_id: int, reason: str) -> dict[str, Any]:
    """Open another team's client for reading; the reason and the opening go into the use log."""
    client = await _client(client_id)
    if client["team"] in walls.team_ids:
        raise InvalidInput({"client_id": N_("This client is in your own team: open them as usual.")})
    opened_at = utcnow()
    grant = GlassAccess(user=walls.user.id, user_team=walls.user.team_id, client=client_id, team=client["team"],
                        reason=reason, opened_at=opened_at, expires_at=opened_at + OPEN_FOR)
    await GlassAccess.insert(grant)
    glass = TeamScope(user=walls.user, team_ids=(client["team"],), glass_reason=reason)
    await log_client_read(glass, client_id, client["team"], "break_glass_open")
    return {"client_id": client_id, "expires_at": grant.expires_at}


async def _client(client_id: int) -> dict[str, Any]:
    row = None
    if 1 <= client_id <= MAX_ID:
        row = await Client.select(Client.id, Client.team).where(
            (Client.id == client_id) & (Client.status != "purged")).first()
    if row is None:
        raise NotFoundException()
    return row


async def glass_scope(walls: TeamScope, client_id: int) -> TeamScope | None:
    """The read-only walls of an opening of this client by this user that is still open."""
    grant = await (GlassAccess.select(GlassAccess.team, GlassAccess.reason)
                   .where((GlassAccess.user == walls.user.id) & (GlassAccess.client == client_id)
                          & (GlassAccess.expires_at > utcnow()))
                   .order_by(GlassAccess.opened_at, ascending=False).first())
    if grant is None:
        return None
    return TeamScope(user=walls.user, team_ids=(grant["team"],), glass_reason=grant["reason"])


async def reading_walls(walls: TeamScope, client_id: int, what: str) -> TeamScope:
    """The walls to read one client through: the user's own, or an open break-the-glass; else 404
    (the same as for an id that does not exist), with the attempt logged for the client's team."""
    if 1 <= client_id <= MAX_ID and await Client.exists().where((Client.id == client_id) & walls.condition(Client)):
        return walls
    glass = await glass_scope(walls, client_id) if 1 <= client_id <= MAX_ID else None
    if glass is not None:
        return glass
    if 1 <= client_id <= MAX_ID:
        await log_refused(walls, client_id, what)
    raise NotFoundException()


async def recent_openings(walls: TeamScope, since) -> list[dict[str, Any]]:
    """Openings that concern a lead's teams: of their clients, or by their workers."""
    teams = list(walls.team_ids) or [-1]
    rows = await (GlassAccess.select(
        GlassAccess.id, GlassAccess.opened_at, GlassAccess.expires_at, GlassAccess.reason, GlassAccess.client,
        GlassAccess.team, GlassAccess.team.name.as_alias("client_team"),
        GlassAccess.user.display_name.as_alias("user_name"), GlassAccess.user_team,
        GlassAccess.user_team.name.as_alias("user_team_name"))
        .where((GlassAccess.team.is_in(teams) | GlassAccess.user_team.is_in(teams)) & (GlassAccess.opened_at >= since))
        .order_by(GlassAccess.opened_at, ascending=False).limit(100))
    own = [row["client"] for row in rows if row["team"] in walls.team_ids]
    pseudonyms = {}
    if own:
        pseudonyms = {row["id"]: row["pseudonym"] for row in
                      await Client.select(Client.id, Client.pseudonym).where(Client.id.is_in(own))}
        await log_client_reads(walls, own, "break_glass_review")
    # Another team's lead sees that their worker opened someone, and why, but not whom.
    return [{"opened_at": row["opened_at"], "expires_at": row["expires_at"], "user": row["user_name"],
             "user_team": row["user_team_name"], "client_team": row["client_team"], "reason": row["reason"],
             "client_id": row["client"] if row["team"] in walls.team_ids else None,
             "pseudonym": pseudonyms.get(row["client"]) if row["team"] in walls.team_ids else None}
            for row in rows]
