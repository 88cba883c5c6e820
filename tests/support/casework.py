"""Helpers for casework tests: clients and JSON calls with the CSRF header."""

from __future__ import annotations

from datetime import date

from server.casework.clients import search_key
from server.casework.tables import Client
from tests.support.fixtures import csrf_token


async def make_client(team_id: int, pseudonym: str, pair_id: int | None = None, **extra) -> int:
    extra = {"started_on": date.today(), "status_changed_on": date.today(), **extra}
    rows = await Client.insert(
        Client(team=team_id, pair=pair_id, pseudonym=pseudonym, search_key=search_key(pseudonym), **extra)
    )
    return rows[0]["id"]


async def api(client, method: str, path: str, body=None, **kwargs):
    headers = {"x-csrftoken": await csrf_token(client), **kwargs.pop("headers", {})}
    return await client.request(method, path, json=body, headers=headers, **kwargs)


async def patch_client(client, client_id: int, body: dict):
    """PATCH a client based on its current version (read from the database: no use-log row)."""
    row = await Client.select(Client.version).where(Client.id == client_id).first()
    return await api(client, "PATCH", f"/api/v1/clients/{client_id}", {**body, "version": row["version"] if row else 1})
