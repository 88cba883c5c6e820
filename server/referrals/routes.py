"""Referral from the directory: "Refer a client here" on a service → choose the client → made.

The plain form works without scripts; with them the referral goes through the phone's queue like
a visit (web/static/js/referral-form.js), so it is made with no network too, once, when the
connection returns. The offline shell page of this form is pages/refer.html with `shell`.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, patch, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from server.audit.glass import reading_walls
from server.audit.uselog import log_client_reads
from server.casework.client_view import saved_or_page_again
from server.casework.clients import list_clients
from server.referrals.referrals import create_referral, referral_detail, referrals_of_client, set_referral_status
from server.scope import TeamScope, Walls
from server.services.directory import get_service, service_choices
from server.validation import InvalidInput
from server.web.forms import form_dict
from server.web.limits import json_object

MAX_CHOICES = 500


async def refer_context(
    walls: TeamScope | None, service_id: int | None, values: dict[str, Any], errors: dict[str, Any]
) -> dict[str, Any]:
    """The form's context; with no walls (the shell page) the client list is left to the phone."""
    choices: list[dict[str, Any]] = []
    if walls is not None:
        choices, _total = await list_clients(walls, status="active", mine_only=True, limit=MAX_CHOICES)
        await log_client_reads(walls, [row["id"] for row in choices], "refer_form")
    return {
        "service_id": service_id,
        "service_choices": await service_choices(),
        "client_choices": choices,
        "values": {"service_id": service_id, **values},
        "errors": errors,
    }


async def _service_or_404(service_id: int) -> dict[str, Any]:
    service = await get_service(service_id)
    if service is None:
        raise NotFoundException()
    return service


@get("/services/{service_id:int}/refer")
async def refer_form(walls: Walls, service_id: FromPath[int]) -> Template:
    await _service_or_404(service_id)
    return Template("pages/refer.html", context={"shell": False, **await refer_context(walls, service_id, {}, {})})


@post("/services/{service_id:int}/refer")
async def refer_client(request: Request, walls: Walls, service_id: FromPath[int]) -> Template | Redirect:
    await _service_or_404(service_id)
    raw = await form_dict(request)
    raw.setdefault("service_id", service_id)
    if not raw.get("id"):
        raw.pop("id", None)
    try:
        referral = await create_referral(walls, raw)
    except InvalidInput as problem:
        context = await refer_context(walls, service_id, raw, problem.errors)
        return Template("pages/refer.html", context={"shell": False, **context}, status_code=422)
    return Redirect(f"/clients/{referral['client_id']}?saved=referral#referrals", status_code=303)


# On the client page.


@post("/clients/{client_id:int}/referrals")
async def add_referral(request: Request, walls: Walls, client_id: FromPath[int]) -> Template | Redirect:
    return await saved_or_page_again(request, walls, client_id, create_referral, "referral")


@post("/referrals/{referral_id:int}/status")
async def move_referral(request: Request, walls: Walls, referral_id: FromPath[int]) -> Redirect:
    referral = await set_referral_status(walls, referral_id, await form_dict(request))
    return Redirect(f"/clients/{referral['client_id']}?saved=referral#referrals", status_code=303)


# The same as JSON, for the phone's queue and other tools.


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


ROUTES = [
    refer_form,
    refer_client,
    add_referral,
    move_referral,
    api_create_referral,
    api_list_referrals,
    api_get_referral,
    api_update_referral,
]
