"""Break-the-glass: a night-shift pair meets another team's client.

A worker may search the whole organisation by pseudonym (only the pseudonym and the team are
shown), and open one such client after giving a reason: read only, for 12 hours, every use
logged with the reason, and shown to the leads of both teams. Without an opening, another team's
client stays 404, exactly as before.

An administrator's scope is every team (to run the organisation: accounts, lists, figures), but
the full record of a client of a team they are not in opens the same way: with a reason, read
only, logged as `admin_reason` and shown to the client's team leads. Without one they are asked
for it (`ReasonNeeded`) instead of being shown the record.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from litestar.exceptions import HTTPException, NotFoundException
from piccolo.table import Table

from server.audit import chain
from server.audit.tables import GlassAccess, OrgSearch
from server.audit.uselog import log_client_read, log_client_reads, log_refused, use_row
from server.casework.clients import search_key
from server.casework.tables import AccessLog, Client
from server.i18n import N_
from server.scope import MAX_ID, TeamScope
from server.settings import get_settings
from server.timeutil import utcnow
from server.validation import InvalidInput, Reader

OPEN_FOR = timedelta(hours=12)
MIN_QUERY = 3  # a search must name someone, not list the organisation
MAX_RESULTS = 20
MAX_REASON = 500


class ReasonNeeded(HTTPException):
    """An administrator asked for the full record of a client of another team without a reason."""

    status_code = 403
    detail = "An administrator opens a client of another team only with a reason: POST it to break-glass."

    def __init__(self, client_id: int) -> None:
        super().__init__(detail=self.detail)
        self.client_id = client_id


def needs_reason(walls: TeamScope, team_id: int) -> bool:
    """An administrator reading a client of a team they are not a member of."""
    return walls.user.is_admin and team_id != walls.user.team_id


SEARCH_PERIOD = timedelta(hours=24)


class TooManySearches(Exception):
    def __init__(self, wait_seconds: int) -> None:
        super().__init__(wait_seconds)
        self.wait_seconds = wait_seconds


def searches_per_day() -> int:
    return get_settings().org_searches_per_day


def read_search(raw: dict[str, Any]) -> tuple[str, int | None]:
    """The name's beginning and the birth year, both required: a search must name one person the
    worker has met, never list the organisation (2,000 three-letter guesses find nobody)."""
    reader = Reader(raw)
    query = reader.text("q", 80, required=True) or ""
    year = reader.integer("birth_year", 1900, utcnow().year)
    if year is None and "birth_year" not in reader.errors:
        reader.fail("birth_year", N_("Type the year the client was born: the name alone is not enough."))
    reader.done()
    key = "".join(ch for ch in search_key(query) if ch not in "%_\\").strip()
    if len(key) < MIN_QUERY:
        raise InvalidInput({"q": N_("Type at least three letters of the name.")})
    return key, year


async def _count_search(walls: TeamScope, key: str, year: int | None) -> int:
    """Counts this search first, then checks the limit (so parallel requests cannot all slip
    under it); returns the row's id, or raises TooManySearches."""
    since = utcnow() - SEARCH_PERIOD
    row = await OrgSearch.insert(
        OrgSearch(user=walls.user.id, team=walls.user.team_id, query=key[:40], birth_year=year, at=utcnow())
    ).returning(OrgSearch.id)
    search_id = row[0]["id"]
    earlier = await (
        OrgSearch.select(OrgSearch.at)
        .where((OrgSearch.user == walls.user.id) & (OrgSearch.at > since) & (OrgSearch.id < search_id))
        .order_by(OrgSearch.at, ascending=False)
        .limit(searches_per_day())
    )
    if len(earlier) >= searches_per_day():
        await OrgSearch.delete().where(OrgSearch.id == search_id)
        remaining = (earlier[-1]["at"] + SEARCH_PERIOD - utcnow()).total_seconds()
        raise TooManySearches(max(1, math.ceil(remaining)))
    return search_id


async def search_organisation(walls: TeamScope, key: str, year: int | None) -> list[dict[str, Any]]:
    """Other teams' clients whose pseudonym begins with the key and who were born in that year:
    pseudonym and team only. Every search is kept for the leads of the searching team."""
    search_id = await _count_search(walls, key, year)
    rows = await (
        Client.select(Client.id, Client.pseudonym, Client.team, Client.team.name.as_alias("team_name"))
        .where(
            Client.team.not_in(walls.team_id_list())
            & Client.search_key.like(f"{key}%")
            & (Client.birth_year == year)
            & (Client.status != "purged")
        )
        .order_by(Client.pseudonym)
        .limit(MAX_RESULTS)
    )
    await OrgSearch.update({OrgSearch.results: len(rows)}).where(OrgSearch.id == search_id)
    if rows:
        await chain.append(
            AccessLog,
            [
                {**use_row(walls, row["id"], row["team"], "org_search", "search", "pseudonym"), "basis": "org_search"}
                for row in rows
            ],
        )
    return rows


async def recent_searches(walls: TeamScope, since) -> list[dict[str, Any]]:
    """Searches of other teams by the workers of a lead's teams (shown on /lead)."""
    return await (
        OrgSearch.select(
            OrgSearch.at,
            OrgSearch.query,
            OrgSearch.birth_year,
            OrgSearch.results,
            OrgSearch.user.display_name.as_alias("user_name"),
            OrgSearch.team.name.as_alias("team_name"),
        )
        .where(OrgSearch.team.is_in(walls.team_id_list()) & (OrgSearch.at >= since))
        .order_by(OrgSearch.at, ascending=False)
        .limit(100)
    )


def read_reason(raw: dict[str, Any]) -> str:
    reader = Reader(raw)
    reason = reader.text("reason", MAX_REASON, required=True, multiline=True)
    reader.done()
    return reason


async def open_client(walls: TeamScope, client_id: int, reason: str) -> dict[str, Any]:
    """Open another team's client for reading; the reason and the opening go into the use log."""
    client = await _client(client_id)
    if client["team"] in walls.team_ids and not needs_reason(walls, client["team"]):
        raise InvalidInput({"client_id": N_("This client is in your own team: open them as usual.")})
    opened_at = utcnow()
    grant = GlassAccess(
        user=walls.user.id,
        user_team=walls.user.team_id,
        client=client_id,
        team=client["team"],
        reason=reason,
        opened_at=opened_at,
        expires_at=opened_at + OPEN_FOR,
    )
    await GlassAccess.insert(grant)
    glass = TeamScope(user=walls.user, team_ids=(client["team"],), glass_reason=reason)
    await log_client_read(glass, client_id, client["team"], "break_glass_open")
    return {"client_id": client_id, "expires_at": grant.expires_at}


async def _client(client_id: int) -> dict[str, Any]:
    row = None
    if 1 <= client_id <= MAX_ID:
        row = (
            await Client.select(Client.id, Client.team)
            .where((Client.id == client_id) & (Client.status != "purged"))
            .first()
        )
    if row is None:
        raise NotFoundException()
    return row


async def glass_scope(walls: TeamScope, client_id: int) -> TeamScope | None:
    """The read-only walls of an opening of this client by this user that is still open."""
    grant = await (
        GlassAccess.select(GlassAccess.team, GlassAccess.reason)
        .where(
            (GlassAccess.user == walls.user.id)
            & (GlassAccess.client == client_id)
            & (GlassAccess.expires_at > utcnow())
        )
        .order_by(GlassAccess.opened_at, ascending=False)
        .first()
    )
    if grant is None:
        return None
    return TeamScope(user=walls.user, team_ids=(grant["team"],), glass_reason=grant["reason"])


async def reading_walls(walls: TeamScope, client_id: int, what: str) -> TeamScope:
    """The walls to read one client's full record through: the user's own, or an open
    break-the-glass; else 404 (the same as for an id that does not exist), with the attempt logged
    for the client's team. An administrator outside the client's team without an opening is
    asked for a reason (`ReasonNeeded`)."""
    if not 1 <= client_id <= MAX_ID:
        raise NotFoundException()
    within = await Client.select(Client.team).where((Client.id == client_id) & walls.condition(Client)).first()
    if within is not None and not needs_reason(walls, within["team"]):
        return walls
    glass = await glass_scope(walls, client_id)
    if glass is not None:
        return glass
    if within is not None:
        raise ReasonNeeded(client_id)
    await log_refused(walls, client_id, what)
    raise NotFoundException()


async def within_walls(walls: TeamScope, table: type[Table], row_id: int, what: str, *columns: Any) -> dict:
    """One row of the walls (a client, or a row of a client's record: agreement, goal, review,
    referral), or 404 as for an id that does not exist; an attempt at another team's is logged
    as refused for that client's team, as reading_walls does for a client's record."""
    try:
        return await walls.get(table, row_id, *columns)
    except NotFoundException:
        if 1 <= row_id <= MAX_ID:
            client_id = row_id if table is Client else await _client_of(table, row_id)
            if client_id is not None:
                await log_refused(walls, client_id, what)
        raise


async def client_within_walls(walls: TeamScope, client_id: int, what: str) -> dict:
    """The client's id, team and pair (as casework's require_client), or 404 with the refused
    attempt logged."""
    return await within_walls(walls, Client, client_id, what, Client.id, Client.team, Client.pair)


async def _client_of(table: type[Table], row_id: int) -> int | None:
    row = await table.select(table.client).where(table._meta.primary_key == row_id).first()  # type: ignore[attr-defined]
    return row["client"] if row else None


async def recent_openings(walls: TeamScope, since) -> list[dict[str, Any]]:
    """Openings that concern a lead's teams: of their clients, or by their workers."""
    teams = walls.team_id_list()
    rows = await (
        GlassAccess.select(
            GlassAccess.id,
            GlassAccess.opened_at,
            GlassAccess.expires_at,
            GlassAccess.reason,
            GlassAccess.client,
            GlassAccess.team,
            GlassAccess.team.name.as_alias("client_team"),
            GlassAccess.user.display_name.as_alias("user_name"),
            GlassAccess.user.role.as_alias("user_role"),
            GlassAccess.user_team,
            GlassAccess.user_team.name.as_alias("user_team_name"),
        )
        .where((GlassAccess.team.is_in(teams) | GlassAccess.user_team.is_in(teams)) & (GlassAccess.opened_at >= since))
        .order_by(GlassAccess.opened_at, ascending=False)
        .limit(100)
    )
    own = [row["client"] for row in rows if row["team"] in walls.team_ids]
    pseudonyms = {}
    if own:
        pseudonyms = {
            row["id"]: row["pseudonym"]
            for row in await Client.select(Client.id, Client.pseudonym).where(Client.id.is_in(own))
        }
        await log_client_reads(walls, own, "break_glass_review")
    # Another team's lead sees that their worker opened someone, and why, but not whom.
    return [
        {
            "opened_at": row["opened_at"],
            "expires_at": row["expires_at"],
            "user": row["user_name"],
            "by_admin": row["user_role"] == "admin",
            "user_team": row["user_team_name"],
            "client_team": row["client_team"],
            "reason": row["reason"],
            "client_id": row["client"] if row["team"] in walls.team_ids else None,
            "pseudonym": pseudonyms.get(row["client"]) if row["team"] in walls.team_ids else None,
        }
        for row in rows
    ]
