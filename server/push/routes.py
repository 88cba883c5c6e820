"""Push for workers: the key, this phone's subscription, the device list, a test push, the team's
rules, and the client reminder links a worker makes from the client page."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import segno
from litestar import Request, Response, delete, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server.i18n import LANGUAGE_NAMES, LANGUAGES, N_
from server.push import links, outbox, rules, subscriptions
from server.push.dispatcher import Round, dispatch_batch
from server.push.outbox import Outgoing
from server.push.planner import plan_all_clients
from server.push.transport import http_session
from server.push.vapid import public_key
from server.scope import Walls
from server.timeutil import utcnow
from server.validation import InvalidInput
from server.web.forms import form_dict
from server.web.guards import requires_lead
from server.web.limits import json_object


def _device(request: Request) -> str:
    return subscriptions.device_name(request.headers.get("user-agent", ""))


@get("/api/v1/push/key", opt={"public": True})
async def push_key() -> dict[str, str]:
    return {"public_key": public_key()}


@post("/api/v1/push/subscriptions")
async def subscribe(request: Request) -> Response:
    """This phone takes the user's reminders: new → 201, a known phone refreshed → 200."""
    subscription = subscriptions.read_subscription(await json_object(request))
    try:
        row_id, new = await subscriptions.save_subscription(
            subscription,
            _device(request),
            request.user.language or "fi",
            user_id=request.user.id,
            session_id=request.user.session_id,
        )
    except subscriptions.PhoneTakenByOther:
        raise InvalidInput(
            {"endpoint": N_("This phone takes a client's reminders: turn them off on the client's page first.")}
        ) from None
    return Response({"id": row_id, "device": _device(request)}, status_code=201 if new else 200)


@get("/api/v1/push/subscriptions")
async def my_devices(request: Request) -> dict[str, Any]:
    return {"items": await subscriptions.user_devices(request.user.id)}


@delete("/api/v1/push/subscriptions/{subscription_id:int}", status_code=204)
async def remove_device(request: Request, subscription_id: FromPath[int]) -> None:
    if not await subscriptions.remove_user_device(request.user.id, subscription_id=subscription_id):
        raise NotFoundException()


@post("/api/v1/push/subscriptions/remove", status_code=204)
async def remove_this_phone(request: Request) -> None:
    """Notifications turned off on this phone (it knows its endpoint, not its row id)."""
    body = await json_object(request)
    endpoint = body.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise InvalidInput({"endpoint": N_("This field is required.")})
    await subscriptions.remove_user_device(request.user.id, endpoint=endpoint)


async def send_test(user_id: int) -> Round:
    """A test reminder to the user's own phones, sent now through the same dispatcher."""
    now = utcnow()
    ids = await outbox.enqueue(
        [
            Outgoing(
                dedupe_key=f"test:{user_id}:{secrets.token_hex(8)}",
                kind="test",
                audience="user",
                user=user_id,
                event_at=now + timedelta(hours=1),
                due_at=now,
                urgent=True,
            )
        ]
    )
    tally = Round()
    async with http_session() as session:
        await dispatch_batch(session, tally, limit=1, reminder_id=ids[0])
    return tally


@post("/api/v1/push/test")
async def test_push(request: Request) -> dict[str, int]:
    tally = await send_test(request.user.id)
    return {"devices": tally.deliveries}


@post("/settings/push/test")
async def test_push_page(request: Request) -> Redirect:
    tally = await send_test(request.user.id)
    return Redirect(f"/settings?push_test={tally.deliveries}#notifications", status_code=303)


@post("/settings/push/devices/{subscription_id:int}/remove")
async def remove_device_page(request: Request, subscription_id: FromPath[int]) -> Redirect:
    # Another user's phone (or none) answers 404 like the API, not a redirect that looks like success.
    if not await subscriptions.remove_user_device(request.user.id, subscription_id=subscription_id):
        raise NotFoundException()
    return Redirect("/settings#notifications", status_code=303)


# -- the team's rules (lead) --------------------------------------------------------------------


async def _rules_page(
    request: Request,
    errors: dict | None = None,
    values: dict | None = None,
    status_code: int = 200,
    saved: bool = False,
) -> Template:
    current = await rules.team_rules(request.user.team_id) if request.user.team_id else rules.DEFAULT_RULES
    return Template(
        "pages/reminder_rules.html",
        status_code=status_code,
        context={"rules": current, "errors": errors or {}, "values": values, "saved": saved},
    )


@get("/team/reminders", guards=[requires_lead])
async def rules_page(request: Request) -> Template:
    return await _rules_page(request, saved=request.query_params.get("saved") == "1")


@post("/team/reminders", guards=[requires_lead])
async def save_rules_page(request: Request) -> Template | Redirect:
    raw = await form_dict(request)
    if request.user.team_id is None:
        raise NotFoundException()
    try:
        values = rules.read_rules(raw)
    except InvalidInput as problem:
        return await _rules_page(request, errors=problem.errors, values=raw, status_code=422)
    await rules.save_rules(request.user.team_id, values)
    await plan_all_clients(request.user.team_id)  # the new rules apply to what is already planned
    return Redirect("/team/reminders?saved=1", status_code=303)


# -- client reminder links -----------------------------------------------------------------------


def _language(raw: Any) -> str:
    return raw if raw in LANGUAGES else "fi"


@post("/api/v1/clients/{client_id:int}/reminder-link", status_code=201)
async def new_link_api(request: Request, walls: Walls, client_id: FromPath[int]) -> dict[str, str]:
    body = await json_object(request) if request.headers.get("content-length", "0") != "0" else {}
    token = await links.create_link(walls, client_id, _language(body.get("language")))
    return {"url": links.link_url(token)}


@delete("/api/v1/reminder-links/{link_id:int}", status_code=204)
async def revoke_link_api(walls: Walls, link_id: FromPath[int]) -> None:
    await links.revoke_link(walls, link_id)


@post("/clients/{client_id:int}/reminder-links")
async def new_link_page(request: Request, walls: Walls, client_id: FromPath[int]) -> Template:
    """The link and its QR code, shown once (only the token's hash is kept)."""
    form = await form_dict(request)
    token = await links.create_link(walls, client_id, _language(form.get("language")))
    url = links.link_url(token)
    return Template(
        "pages/reminder_link.html",
        context={
            "client_id": client_id,
            "url": url,
            "qr": segno.make(url, error="m").svg_inline(scale=5, dark="#000", light="#fff"),
        },
    )


@post("/reminder-links/{link_id:int}/revoke")
async def revoke_link_page(walls: Walls, link_id: FromPath[int]) -> Redirect:
    client_id = await links.revoke_link(walls, link_id)
    return Redirect(f"/clients/{client_id}#reminder-links", status_code=303)


def language_choices() -> list[tuple[str, str]]:
    return [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES]


ROUTES = [
    push_key,
    subscribe,
    my_devices,
    remove_device,
    remove_this_phone,
    test_push,
    test_push_page,
    remove_device_page,
    rules_page,
    save_rules_page,
    new_link_api,
    revoke_link_api,
    new_link_page,
    revoke_link_page,
]
