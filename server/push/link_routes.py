"""The client's own page behind their reminder link: no account, in the client's language.

It shows the client's upcoming appointments (with a calendar file each) and turns reminders on or
off on the phone that opened it. A wrong or revoked token is a 404 like any other page; an
address that keeps guessing gets 429.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from server.casework.calendar import client_appointment_ics
from server.i18n import N_
from server.push import links, subscriptions
from server.push.link_access import NO_STORE, PUBLIC
from server.push.link_access import link_of_request as _link
from server.push.vapid import public_key
from server.validation import InvalidInput
from server.web.limits import json_object

# Parts other domains add to the client's link page (the path, when the client agreed to see it).
# They build on push's links, so server/wiring.py hands them in. Each returns context entries.
LinkPagePart = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
_PARTS: list[LinkPagePart] = []


def add_link_page_parts(*parts: LinkPagePart) -> None:
    _PARTS.extend(part for part in parts if part not in _PARTS)


@get("/r/{token:str}", opt=PUBLIC)
async def link_page(request: Request, token: FromPath[str]) -> Template:
    link = await _link(request, token, ended_too=True)
    if link["ended"]:  # said to the client in their language, with nothing of theirs on it
        return Template("pages/client_link_ended.html", status_code=410, headers=NO_STORE)
    return Template(
        "pages/client_link.html",
        headers=NO_STORE,
        context={
            "appointments": await links.upcoming_appointments(link["client"]),
            "token": token,
            "phones": await links.link_phones(link["id"]),
            "public_key": public_key(),
            **{name: value for part in _PARTS for name, value in (await part(link)).items()},
        },
    )


@get("/r/{token:str}/manifest.webmanifest", opt=PUBLIC)
async def link_manifest(request: Request, token: FromPath[str]) -> Response:
    """Added to an iPhone's home screen (the only way it takes pushes), the app opens this link."""
    await _link(request, token)
    body = {
        "name": "Rinnalla",
        "short_name": "Rinnalla",
        "start_url": f"/r/{token}",
        "scope": f"/r/{token}",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#00005e",
        "icons": [
            {"src": "/static/icons/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/static/icons/icon-512.png", "sizes": "512x512", "type": "image/png"},
        ],
    }
    return Response(body, media_type="application/manifest+json", headers=NO_STORE)


@get("/r/{token:str}/appointments/{file_name:str}", opt=PUBLIC)
async def link_appointment_file(request: Request, token: FromPath[str], file_name: FromPath[str]) -> Response:
    link = await _link(request, token)
    number = file_name.removesuffix(".ics")
    if not file_name.endswith(".ics") or not number.isdigit() or len(number) > 9:
        raise NotFoundException()
    row = next((a for a in await links.upcoming_appointments(link["client"]) if a["id"] == int(number)), None)
    if row is None:
        raise NotFoundException()
    return Response(
        client_appointment_ics(row),
        media_type="text/calendar; charset=utf-8",
        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="appointment-{number}.ics"'},
    )


@post("/r/{token:str}/subscription", opt=PUBLIC)
async def link_subscribe(request: Request, token: FromPath[str]) -> Response:
    link = await _link(request, token)
    subscription = subscriptions.read_subscription(await json_object(request))
    try:
        _row, new = await subscriptions.save_subscription(
            subscription,
            subscriptions.device_name(request.headers.get("user-agent", "")),
            link["language"],
            link_id=link["id"],
        )
    except subscriptions.PhoneTakenByOther:
        raise InvalidInput({"endpoint": N_("This phone takes a worker's reminders.")}) from None
    return Response({"phones": await links.link_phones(link["id"])}, status_code=201 if new else 200, headers=NO_STORE)


@post("/r/{token:str}/subscription/remove", opt=PUBLIC, status_code=200)
async def link_unsubscribe(request: Request, token: FromPath[str]) -> Response:
    link = await _link(request, token)
    body = await json_object(request)
    endpoint = body.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise InvalidInput({"endpoint": N_("This field is required.")})
    await subscriptions.remove_link_device(link["id"], endpoint)
    return Response({"phones": await links.link_phones(link["id"])}, headers=NO_STORE)


ROUTES = [link_page, link_manifest, link_appointment_file, link_subscribe, link_unsubscribe]
