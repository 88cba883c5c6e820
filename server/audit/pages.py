"""Pages of the audit package that other packages show too (no routes here: the client pages ask
an administrator for a reason before they open a record)."""

from __future__ import annotations

from litestar.response import Template

from server.casework.tables import Client


async def admin_reason_page(client_id: int, errors: dict | None = None, status_code: int = 200) -> Template:
    """Asks an administrator why they need a client's full record; shows only the client's team."""
    row = await Client.select(Client.team.name.as_alias("team_name")).where(Client.id == client_id).first()
    return Template(
        "pages/admin_reason.html",
        status_code=status_code,
        context={"client_id": client_id, "team_name": row["team_name"] if row else "", "errors": errors or {}},
    )
