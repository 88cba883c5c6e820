"""The path as JSON under /api/v1: the same walls, the same 422 with field errors, nothing half stored."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, patch, post
from litestar.params import FromPath

from server.audit.glass import client_within_walls
from server.casework.clients import require_client
from server.i18n import gettext as _
from server.pathway import agreements, reviews
from server.pathway.tables import REVIEW_AREAS
from server.scope import Walls
from server.web.limits import json_object


@post("/api/v1/clients/{client_id:int}/agreements", status_code=201)
async def api_create_agreement(request: Request, walls: Walls, client_id: FromPath[int]) -> Response:
    # Another team's client: 404 before the body is read, the attempt logged as refused.
    await client_within_walls(walls, client_id, "api_agreements")
    agreement = await agreements.create_agreement(walls, client_id, await json_object(request))
    return Response(agreement, status_code=201)


@get("/api/v1/clients/{client_id:int}/agreements")
async def api_list_agreements(walls: Walls, client_id: FromPath[int]) -> dict[str, Any]:
    items = await agreements.agreements_of_client(walls, client_id, what="api_agreements")
    return {"items": items, "total": len(items)}


@get("/api/v1/agreements/{agreement_id:int}")
async def api_get_agreement(walls: Walls, agreement_id: FromPath[int]) -> dict[str, Any]:
    return await agreements.agreement_detail(walls, agreement_id)


@patch("/api/v1/agreements/{agreement_id:int}")
async def api_update_agreement(request: Request, walls: Walls, agreement_id: FromPath[int]) -> dict[str, Any]:
    await agreements.agreement_exists(walls, agreement_id)
    return await agreements.update_agreement(walls, agreement_id, await json_object(request))


@patch("/api/v1/goals/{goal_id:int}")
async def api_update_goal(request: Request, walls: Walls, goal_id: FromPath[int]) -> dict[str, Any]:
    await agreements.goal_exists(walls, goal_id)
    return await agreements.set_goal_status(walls, goal_id, await json_object(request))


@post("/api/v1/clients/{client_id:int}/reviews", status_code=201)
async def api_create_review(request: Request, walls: Walls, client_id: FromPath[int]) -> Response:
    await client_within_walls(walls, client_id, "api_reviews")
    return Response(await reviews.create_review(walls, client_id, await json_object(request)), status_code=201)


@get("/api/v1/clients/{client_id:int}/reviews")
async def api_list_reviews(walls: Walls, client_id: FromPath[int]) -> dict[str, Any]:
    items = await reviews.reviews_of_client(walls, client_id, what="api_reviews")
    client = await require_client(walls, client_id)
    due_on = await reviews.review_due_on(client_id, client["team"])
    return {"items": items, "total": len(items), "progress": reviews.progress(items), "next_due_on": due_on}


@get("/api/v1/review-areas")
async def api_review_areas() -> dict[str, Any]:
    """The interview's life areas, in order, with labels in the request's language."""
    return {
        "items": [{"key": area, "label": _(reviews.AREA_LABELS[area])} for area in REVIEW_AREAS],
        "scores": [1, 2, 3, 4, 5],
    }


ROUTES = [
    api_create_agreement,
    api_list_agreements,
    api_get_agreement,
    api_update_agreement,
    api_update_goal,
    api_create_review,
    api_list_reviews,
    api_review_areas,
]
