"""Clients of a team: create, change, read one, list and search the caseload."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from litestar.exceptions import NotFoundException
from piccolo.custom_types import Combinable

from server.accounts.tables import Pair
from server.audit.uselog import log_client_write
from server.casework import elsewhere
from server.casework.tables import (
    THEMES,
    Appointment,
    CameFrom,
    Client,
    ClientStatus,
    ClientTheme,
    FollowUp,
    ReleaseType,
)
from server.casework.versions import read_version, write_if_current
from server.db.lifecycle import engine
from server.db.prepared import column_list, placeholders, statement
from server.i18n import N_
from server.scope import MAX_ID, TeamScope
from server.timeutil import local_today, utcnow
from server.validation import InvalidInput, Reader

STATUSES = tuple(s.value for s in ClientStatus)
CAME_FROM = tuple(c.value for c in CameFrom)
RELEASE_TYPES = tuple(r.value for r in ReleaseType if r.value)
PAGE_SIZE = 50  # rows per page of a list, on pages and in the API

# Columns a person may set; everything else (team, author, timestamps) comes from the server.
_PUBLIC_COLUMNS = (
    Client.id,
    Client.team,
    Client.pair,
    Client.pseudonym,
    Client.legal_name,
    Client.birth_year,
    Client.phone,
    Client.status,
    Client.started_on,
    Client.status_changed_on,
    Client.came_from,
    Client.institution,
    Client.release_date,
    Client.release_type,
    Client.consent_reminders_at,
    Client.consent_data_at,
    Client.created_at,
    Client.updated_at,
    Client.version,
)


def releasing_within(today: date, days: int) -> Combinable:
    """Open clients whose release from prison is today or within `days` (the dashboard's counts
    and the release plans' list ask the same)."""
    return (
        (Client.status != "closed")
        & (Client.release_date >= today)
        & (Client.release_date <= today + timedelta(days=days))
    )


@dataclass
class ClientChanges:
    values: dict[Any, Any]
    themes: list[str] | None
    pair_id: int | None
    pair_given: bool


def search_key(pseudonym: str) -> str:
    return unicodedata.normalize("NFC", pseudonym).casefold()[:80]


def read_client(raw: dict[str, Any], partial: bool) -> ClientChanges:
    """Clean values for the fields present in `raw` (all fields when not `partial`)."""
    reader = Reader(raw)
    wanted = (lambda name: name in raw) if partial else (lambda name: True)
    for name in ("status", "came_from"):  # a PATCH may change these, never blank them
        if partial and name in raw and raw[name] in (None, ""):
            reader.fail(name, N_("Not one of the allowed choices."))
    values: dict[Any, Any] = {}
    if wanted("pseudonym"):
        values[Client.pseudonym] = reader.text("pseudonym", 80, required=True)
        values[Client.search_key] = search_key(values[Client.pseudonym])
    if wanted("legal_name"):
        values[Client.legal_name] = reader.text("legal_name", 160)
    if wanted("birth_year"):
        values[Client.birth_year] = reader.integer("birth_year", 1900, local_today().year)
    if wanted("phone"):
        values[Client.phone] = reader.text("phone", 40)
        if values[Client.phone] and not all(ch.isdigit() or ch in " +-()" for ch in values[Client.phone]):
            reader.fail("phone", N_("A phone number has only digits, spaces and + - ( )."))
    if wanted("status"):
        values[Client.status] = reader.choice("status", STATUSES, default="active")
    if wanted("came_from"):
        values[Client.came_from] = reader.choice("came_from", CAME_FROM, default="street")
    if wanted("institution"):
        values[Client.institution] = reader.text("institution", 120)
    if wanted("release_date"):
        values[Client.release_date] = reader.day("release_date")
    if wanted("release_type"):
        values[Client.release_type] = reader.choice("release_type", ("", *RELEASE_TYPES), default="")
    themes = reader.choices("themes", THEMES) if wanted("themes") else None
    pair_given = "pair_id" in raw and raw.get("pair_id") not in (None, "")
    pair_id = reader.row_id("pair_id") if pair_given else None
    reader.done()
    return ClientChanges(values=values, themes=themes, pair_id=pair_id, pair_given=pair_given)


def _consents(raw: dict[str, Any], walls: TeamScope, current: dict | None) -> dict[Any, Any]:
    """Consent given now is stamped with the time and the worker; withdrawn consent is cleared."""
    changes: dict[Any, Any] = {}
    for key, at_column, by_column in (
        ("consent_data", Client.consent_data_at, Client.consent_data_by),
        ("consent_reminders", Client.consent_reminders_at, Client.consent_reminders_by),
    ):
        if key not in raw:
            continue
        given = Reader(raw).flag(key)
        already = current is not None and current[at_column._meta.name] is not None
        if given and not already:
            changes[at_column], changes[by_column] = utcnow(), walls.user.id
        elif not given:
            changes[at_column], changes[by_column] = None, None
    return changes


async def _pair_for(walls: TeamScope, team_id: int | None, pair_id: int | None) -> tuple[int, int | None]:
    """The team and pair of a new or moved client; a pair of another team is refused."""
    if pair_id is not None:
        pair = (
            await walls.select(Pair, Pair.id, Pair.team).where((Pair.id == pair_id) & Pair.ended_at.is_null()).first()
        )
        if pair is None or (team_id is not None and pair["team"] != team_id):
            raise InvalidInput({"pair_id": N_("Not one of the allowed choices.")})
        return pair["team"], pair["id"]
    if team_id is None:
        raise InvalidInput({"pair_id": N_("Choose the work pair of the client.")})
    return team_id, walls.user.pair_id if walls.user.team_id == team_id else None


async def create_client(walls: TeamScope, raw: dict[str, Any]) -> int:
    changes = read_client(raw, partial=False)
    team_id, pair_id = await _pair_for(walls, walls.user.team_id, changes.pair_id)
    today = local_today()
    row = Client(team=team_id, pair=pair_id, started_on=today, status_changed_on=today, created_by=walls.user.id)
    for column, value in {**changes.values, **_consents(raw, walls, None)}.items():
        setattr(row, column._meta.name, value)
    async with engine().transaction():
        client_id = (await Client.insert(row))[0]["id"]
        await _replace_themes(client_id, changes.themes or [])
        await elsewhere.client_changed(client_id)
        await log_client_write(walls, client_id, team_id, "create")
    return client_id


async def update_client(walls: TeamScope, client_id: int, raw: dict[str, Any]) -> int:
    """Save the fields present in `raw`, based on `raw["version"]` (required): a save based on an
    older version raises StaleVersion and writes nothing. Returns the new version."""
    current = await walls.get(Client, client_id)
    version = read_version(raw)
    changes = read_client(raw, partial=True)
    values = {**changes.values, **_consents(raw, walls, current)}
    if changes.pair_given:
        _team, values[Client.pair] = await _pair_for(walls, current["team"], changes.pair_id)
    status_changed = Client.status in values and values[Client.status] != current["status"]
    if status_changed:
        values[Client.status_changed_on] = local_today()
    values[Client.updated_at] = utcnow()
    async with engine().transaction():
        new_version = await write_if_current(Client, client_id, version, values, walls.condition(Client))
        if changes.themes is not None:
            await _replace_themes(client_id, changes.themes)
        if Client.pair in values and values[Client.pair] != current["pair"]:
            # The client's follow-ups and appointments move with them to the new pair.
            for table in (FollowUp, Appointment):
                await table.update({table.pair: values[Client.pair]}).where(table.client == client_id)
        if values.get(Client.status) == "closed" and current["status"] != "closed":
            await elsewhere.client_closed(client_id)  # the client's own phone stops hearing from us
        await elsewhere.client_changed(client_id)  # a new release date or status changes the reminders
        await log_client_write(walls, client_id, current["team"], "status" if status_changed else "update")
    return new_version


async def _replace_themes(client_id: int, themes: list[str]) -> None:
    await ClientTheme.delete().where(ClientTheme.client == client_id)
    if themes:
        await ClientTheme.insert(*[ClientTheme(client=client_id, theme=theme) for theme in themes])


async def themes_of(client_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {client_id: [] for client_id in client_ids}
    if client_ids:
        rows = await statement(
            f"SELECT client, theme FROM client_theme WHERE client IN ({placeholders(len(client_ids))})"  # nosec B608 # placeholders only
        ).fetch(*client_ids)
        for row in rows:
            found[row["client"]].append(row["theme"])
    for themes in found.values():
        themes.sort(key=THEMES.index)
    return found


# The walls already checked in this request, while a page that asks many parts of one client is
# built (`walls_checked_once`): each part checks the wall itself, and all but the first find it here.
_checked: ContextVar[dict[tuple, dict[str, Any]] | None] = ContextVar("rinnalla_clients_checked", default=None)


@contextmanager
def walls_checked_once() -> Iterator[None]:
    """Within the block, require_client asks the database once per client and walls; the block is
    one request's read of one page, so nothing it finds can go stale."""
    token = _checked.set({})
    try:
        yield
    finally:
        _checked.reset(token)


_DETAIL_COLUMNS = (*_PUBLIC_COLUMNS, Client.consent_data_by, Client.consent_reminders_by)


async def client_detail(walls: TeamScope, client_id: int) -> dict[str, Any]:
    if not 1 <= client_id <= MAX_ID:
        raise NotFoundException()
    teams = walls.team_id_list()
    # SQL written once per shape (server/db/prepared.py): every client page reads it.
    row = await statement(
        f"SELECT {column_list(_DETAIL_COLUMNS, 'c')}, d.display_name AS consent_data_by_name, "  # nosec B608 # column names and placeholders only
        "r.display_name AS consent_reminders_by_name FROM client c "
        "LEFT JOIN app_user d ON d.id = c.consent_data_by LEFT JOIN app_user r ON r.id = c.consent_reminders_by "
        f"WHERE c.team IN ({placeholders(len(teams))}) AND c.id = {{}}"
    ).first(*teams, client_id)
    if row is None:
        raise NotFoundException()
    row["themes"] = (await themes_of([client_id]))[client_id]
    checked = _checked.get()
    if checked is not None:  # the wall is passed: the parts of the page need not ask again
        checked[(walls.team_ids, walls.glass_reason, client_id)] = {key: row[key] for key in ("id", "team", "pair")}
    return row


async def list_clients(
    walls: TeamScope,
    query: str = "",
    theme: str = "",
    status: str = "",
    mine_only: bool = False,
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> tuple[list[dict], int]:
    teams = walls.team_id_list()
    where, args = [f"c.team IN ({placeholders(len(teams))})"], list[Any](teams)
    # Matched against the case-folded key, so "äijä" finds "Äijä" on SQLite too. LIKE wildcards a
    # person typed are dropped (the databases escape them differently; pseudonyms lack them).
    key = "".join(ch for ch in search_key(query) if ch not in "%_\\")
    if key:
        where.append("c.search_key LIKE {}")
        args.append(f"%{key}%")
    if status in STATUSES:
        where.append("c.status = {}")
        args.append(status)
    if theme in THEMES:
        where.append("c.id IN (SELECT client FROM client_theme WHERE theme = {})")
        args.append(theme)
    if mine_only and walls.user.pair_id is not None:
        where.append("c.pair = {}")
        args.append(walls.user.pair_id)
    condition = " AND ".join(where)
    # SQL written once per shape (server/db/prepared.py): the caseload and the visit form run this.
    total = (await statement(f"SELECT COUNT(*) AS n FROM client c WHERE {condition}").fetch(*args))[0]["n"]  # nosec B608 # placeholders only
    rows = await statement(
        "SELECT c.id, c.pseudonym, c.status, c.release_date, c.pair FROM client c "  # nosec B608 # placeholders only
        f"WHERE {condition} ORDER BY c.pseudonym LIMIT {{}} OFFSET {{}}"
    ).fetch(*args, limit, offset)
    themes = await themes_of([row["id"] for row in rows])
    for row in rows:
        row["themes"] = themes[row["id"]]
    return rows, total


async def require_client(walls: TeamScope, client_id: int) -> dict[str, Any]:
    """The client's team and pair, or 404: the wall in front of everything attached to a client."""
    checked = _checked.get()
    if checked is None:
        return await walls.get(Client, client_id, Client.id, Client.team, Client.pair)
    key = (walls.team_ids, walls.glass_reason, client_id)
    if key not in checked:
        checked[key] = await walls.get(Client, client_id, Client.id, Client.team, Client.pair)
    return dict(checked[key])
