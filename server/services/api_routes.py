"""The service directory as JSON: what a phone caches, and what other tools may read. (A client's
referrals are casework: server/casework/referral_routes.py.)"""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.params import FromQuery

from server.services.directory import list_services

PUBLIC_FIELDS = (
    "id",
    "key",
    "name",
    "category",
    "phone",
    "phone_note",
    "web",
    "street_address",
    "municipality",
    "opening_hours",
    "languages",
    "description",
    "quick_link",
    "source",
    "confidence",
    "verify",
    "updated_at",
)


@get("/api/v1/services")
async def api_services(q: FromQuery[str] = "", category: FromQuery[str] = "") -> dict[str, Any]:
    items = [
        {**{name: row[name] for name in PUBLIC_FIELDS}, "url": row["web"]}
        for row in await list_services(q[:100], category)
    ]
    return {"items": items, "total": len(items)}


ROUTES = [api_services]
