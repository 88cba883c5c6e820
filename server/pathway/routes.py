"""The path on the client page: plain forms that work without JavaScript (303 back to the page,
or the page again with the field errors and what was typed), with htmx swapping just the
section on top. And the team's review rhythm, for the lead."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from server.audit.glass import client_within_walls
from server.casework.client_view import client_page_template
from server.pathway import agreements, reviews
from server.pathway.sections import path_section
from server.push.planner import plan_all_clients
from server.scope import TeamScope, Walls
from server.validation import InvalidInput
from server.web.forms import form_dict
from server.web.guards import requires_lead

SECTION = "partials/_path.html"


async def _answer(
    request: HTMXRequest,
    walls: TeamScope,
    client_id: int,
    form: str = "",
    errors: dict | None = None,
    values: dict | None = None,
) -> Template | Redirect:
    if request.htmx:
        # htmx swaps only 2xx answers: the section with its errors comes as 200, the plain form gets 422.
        section = await path_section(walls, client_id, form, errors, values, log_as="client_page_path")
        return Template(SECTION, context={"path": section, "path_saved": "" if errors else form})
    if errors:
        return await client_page_template(walls, client_id, form=form, errors=errors, values=values, status_code=422)
    return Redirect(f"/clients/{client_id}?saved={form}#path", status_code=303)


async def _save(
    request: HTMXRequest,
    walls: TeamScope,
    client_id: int,
    form: str,
    save: Callable[[dict[str, Any]], Awaitable[Any]],
    to_body: Callable[[dict[str, Any]], dict[str, Any]],
    field_errors: Callable[[dict[str, str]], dict[str, str]],
) -> Template | Redirect:
    raw = await form_dict(request)
    try:
        await save(to_body(raw))
    except InvalidInput as problem:
        return await _answer(request, walls, client_id, form, field_errors(problem.errors), raw)
    return await _answer(request, walls, client_id, form)


@post("/clients/{client_id:int}/agreements")
async def add_agreement(request: HTMXRequest, walls: Walls, client_id: FromPath[int]) -> Template | Redirect:
    await client_within_walls(walls, client_id, "agreements")
    boxes: dict[str, str] = {}

    def to_body(raw: dict[str, Any]) -> dict[str, Any]:
        goals, found = agreements.goal_form_to_list(raw)
        boxes.update(found)
        return {**raw, "goals": goals}

    return await _save(
        request,
        walls,
        client_id,
        "agreement",
        lambda body: agreements.create_agreement(walls, client_id, body),
        to_body,
        lambda errors: agreements.form_errors(errors, boxes),
    )


@post("/agreements/{agreement_id:int}/status")
async def agreement_status(request: HTMXRequest, walls: Walls, agreement_id: FromPath[int]) -> Template | Redirect:
    raw = await form_dict(request)
    agreement = await agreements.update_agreement(walls, agreement_id, {"status": raw.get("status")})
    return await _answer(request, walls, agreement["client_id"], "agreement")


@post("/goals/{goal_id:int}/status")
async def goal_status(request: HTMXRequest, walls: Walls, goal_id: FromPath[int]) -> Template | Redirect:
    raw = await form_dict(request)
    goal = await agreements.set_goal_status(walls, goal_id, {"status": raw.get("status")})
    return await _answer(request, walls, goal["client_id"], "goal")


@post("/clients/{client_id:int}/reviews")
async def add_review(request: HTMXRequest, walls: Walls, client_id: FromPath[int]) -> Template | Redirect:
    await client_within_walls(walls, client_id, "reviews")
    return await _save(
        request,
        walls,
        client_id,
        "review",
        lambda body: reviews.create_review(walls, client_id, body),
        reviews.review_form_to_body,
        reviews.form_errors,
    )


@get("/team/reviews", guards=[requires_lead])
async def review_rhythm_page(request: Request, saved: FromQuery[str] = "") -> Template:
    months = await reviews.review_months(request.user.team_id) if request.user.team_id else 3
    return Template(
        "pages/review_rhythm.html", context={"values": {"review_every_months": months}, "errors": {}, "saved": saved}
    )


@post("/team/reviews", guards=[requires_lead])
async def save_review_rhythm(request: Request) -> Template | Redirect:
    raw = await form_dict(request)
    if request.user.team_id is None:  # an admin without a team has no rhythm of their own to set
        return Redirect("/team", status_code=303)
    try:
        months = reviews.read_review_months(raw)
    except InvalidInput as problem:
        return Template(
            "pages/review_rhythm.html", status_code=422, context={"values": raw, "errors": problem.errors, "saved": ""}
        )
    await reviews.save_review_months(request.user.team_id, months)
    await plan_all_clients(request.user.team_id)  # every due date of the team moves
    return Redirect("/team/reviews?saved=1", status_code=303)


ROUTES = [add_agreement, agreement_status, goal_status, add_review, review_rhythm_page, save_review_rhythm]
