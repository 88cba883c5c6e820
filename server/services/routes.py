"""The service directory in the street: one tap to call, to the map, to the web page, or to show
the client a large card with a QR code they can photograph."""

from __future__ import annotations

import segno
from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from server.services.directory import add_local_service, directory_context, get_service, retire_local_service
from server.validation import InvalidInput
from server.web.forms import form_dict
from server.web.guards import requires_lead


@get("/services")
async def services_page(q: FromQuery[str] = "", category: FromQuery[str] = "") -> Template:
    return Template("pages/services.html", context=await directory_context(q[:100], category))


@post("/services", guards=[requires_lead])
async def add_service(request: Request) -> Template | Redirect:
    raw = await form_dict(request)
    try:
        service_id = await add_local_service(request.user, raw)
    except InvalidInput as problem:
        context = {**await directory_context("", ""), "errors": problem.errors, "values": raw, "adding": True}
        return Template("pages/services.html", context=context, status_code=422)
    return Redirect(f"/services#service-{service_id}", status_code=303)


@post("/services/{service_id:int}/retire", guards=[requires_lead])
async def retire_service(request: Request, service_id: FromPath[int]) -> Redirect:
    await retire_local_service(request.user, service_id)
    return Redirect("/services", status_code=303)


@get("/services/{service_id:int}")
async def service_card(service_id: FromPath[int]) -> Template:
    """Large type for the client's eyes, and a QR code of the web page (or the number) to photograph."""
    service = await get_service(service_id)
    if service is None:
        raise NotFoundException()
    links = service["links"]
    target = links["web"] or links["call"]
    qr = segno.make(target, error="m").svg_inline(scale=6, dark="#000", light="#fff") if target else ""
    return Template("pages/service_card.html", context={"service": service, "links": links, "qr": qr})


ROUTES = [services_page, add_service, retire_service, service_card]
