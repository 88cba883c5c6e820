"""Referral from the directory: "Refer a client here" on a service → choose the client → made.

The plain form works without scripts; with them the referral goes through the phone's queue like
a visit (web/static/js/referral-form.js), so it is made with no network too, once, when the
connection returns. The offline shell page of this form is pages/refer.html with `shell`.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server.audit.uselog import log_client_reads
from server.casework.clients import list_clients
from server.scope import TeamScope, Walls
from server.services.directory import get_service, service_choices
from server.services.referrals import create_referral
from server.validation import InvalidInput
from server.web.forms import form_dict

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


ROUTES = [refer_form, refer_client]
