"""The service directory as JSON: what a phone caches, and what other tools may read."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, patch, post
from litestar.params import FromPath, FromQuery

from server.audit.glass import reading_walls
from server.audit.uselog import log_client_reads
from server.scope import Walls
from server.services.directory import list_services
from server.services.referrals import create_referral, referral_detail, referrals_of_client, set_referral_status
from server.web.limits import json_object

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


@post("/api/v1/referrals", status_code=201)
async def api_create_referral(request: Request, walls: Walls) -> dict[str, Any]:
    referral = await create_referral(walls, await json_object(request))
    return referral


@get("/api/v1/referrals")
async def api_list_referrals(walls: Walls, client_id: FromQuery[int], open_only: FromQuery[bool] = False) -> dict:
    walls = await reading_walls(walls, client_id, "api_referrals")  # own team, break-the-glass, admin's reason
    items = await referrals_of_client(walls, client_id, open_only)
    await log_client_reads(walls, [client_id], "api_referrals")
    return {"items": items, "total": len(items)}


@get("/api/v1/referrals/{referral_id:int}")
async def api_get_referral(walls: Walls, referral_id: FromPath[int]) -> dict[str, Any]:
    referral = await referral_detail(walls, referral_id)
    await log_client_reads(walls, [referral["client_id"]], "api_referral")
    return referral


@patch("/api/v1/referrals/{referral_id:int}")
async def api_update_referral(request: Request, walls: Walls, referral_id: FromPath[int]) -> dict[str, Any]:
    referral = await set_referral_status(walls, referral_id, await json_object(request))
    return referral


ROUTES = [api_services, api_create_referral, api_list_referrals, api_get_referral, api_update_referral]
