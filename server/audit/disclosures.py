"""The disclosure log (luovutusloki): client data that left the team, to whom, on what basis.

Recorded where the data leaves: a lead's caseload export, an appointment's calendar file, a
worker's calendar feed, and a referral that takes the client to a service. One row per client.
"""

from __future__ import annotations

from typing import Any

from server.audit import chain
from server.audit.tables import DisclosureLog
from server.casework.tables import Client
from server.observability.logs import request_id
from server.timeutil import utcnow

# Kinds of data, as the client's report names them.
IDENTITY = "identity"
APPOINTMENTS = "appointments"
CASELOAD = "caseload"
REFERRAL = "referral"


async def log_disclosures(
    user_id: int | None,
    role: str,
    client_ids: list[int | None],
    recipient: str,
    basis: str,
    categories: tuple[str, ...],
    what: str,
) -> None:
    ids = sorted({client_id for client_id in client_ids if client_id is not None})
    if not ids:
        return
    teams = {row["id"]: row["team"] for row in await Client.select(Client.id, Client.team).where(Client.id.is_in(ids))}
    now = utcnow()
    await chain.append(
        DisclosureLog,
        [
            {
                "at": now,
                "user": user_id,
                "role": role,
                "team": teams[client_id],
                "client": client_id,
                "recipient": recipient,
                "basis": basis,
                "categories": ",".join(categories),
                "what": what,
                "request_id": request_id(),
            }
            for client_id in ids
            if client_id in teams
        ],
    )


async def log_referral_disclosure(author: int, client: dict[str, Any], service_name: str) -> None:
    """A referral hands the client over to a service: agreed with the client, so on their consent."""
    from server.accounts.tables import User

    row = await User.select(User.role).where(User.id == author).first()
    await log_disclosures(
        author,
        row["role"] if row else "",
        [client["id"]],
        service_name,
        "client_agreed",
        (IDENTITY, REFERRAL),
        "referral",
    )
