"""The service directory in the street: one tap to call, to the map, to the web page, or to show
the client a large card with a QR code they can photograph."""

from __future__ import annotations

from typing import Any

import segno
from litestar import get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from server.services.directory import get_service, list_services
from server.services.tables import CATEGORIES


async def directory_context(query: str, category: str) -> dict[str, Any]:
    return {"services": await list_services(query, category), "query": query,
            "category": category if category in CATEGORIES else "", "CATEGORIES": CATEGORIES}


@get("/services")
async def services_page(q: FromQuery[str] = "", category: FromQuery[str] = "") -> Template:
    return Template("pages/services.html", context=await directory_context(q[:100], category))


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


ROUTES = [services_page, service_card]
