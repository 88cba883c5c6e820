"""The release plan: `GET`/`PUT /api/v1/clients/{id}/release-plan` and the client page's form.

The form is a plain POST that answers 303 back to the client page (or the page again with its
errors, 422); with htmx the section alone is swapped in place.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post, put
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server.casework.client_view import client_page_template
from server.casework.tables import Client
from server.release.plan import form_errors, form_items, page_section, release_plan, save_release_plan
from server.scope import Walls
from server.validation import InvalidInput
from server.web.forms import form_dict
from server.web.limits import json_object


def _public(plan: dict[str, Any]) -> dict[str, Any]:
    items = {
        item: {key: value[key] for key in ("state", "who_user_id", "who", "essential", "updated_at")}
        for item, value in plan["items"].items()
    }
    return {
        **{key: plan[key] for key in ("client_id", "release_date", "days_to_release", "open", "open_essential")},
        "items": items,
    }


@get("/api/v1/clients/{client_id:int}/release-plan")
async def api_release_plan(walls: Walls, client_id: FromPath[int]) -> dict[str, Any]:
    return _public(await release_plan(walls, client_id, "api_release_plan"))


@put("/api/v1/clients/{client_id:int}/release-plan")
async def api_save_release_plan(request: Request, walls: Walls, client_id: FromPath[int]) -> dict[str, Any]:
    """`{"items": {"housing": "done", "gate": {"state": "todo", "who_user_id": 3, "who": "…"}}}`:
    the items named are set, the others keep their state; a bad item or state stores nothing (422)."""
    body = await json_object(request)
    return _public(await save_release_plan(walls, client_id, body, "api_release_plan"))


@post("/clients/{client_id:int}/release-plan")
async def save_release_plan_form(request: Request, walls: Walls, client_id: FromPath[int]) -> Template | Redirect:
    raw = await form_dict(request)
    try:
        await save_release_plan(walls, client_id, form_items(raw), "release_plan_form")
        problem = None
    except InvalidInput as refused:
        problem = refused
    if not request.headers.get("hx-request"):
        if problem is None:
            return Redirect(f"/clients/{client_id}?saved=release_plan#release-plan", status_code=303)
        return await client_page_template(
            walls, client_id, form="release_plan", errors=form_errors(problem.errors), values=raw, status_code=422
        )
    client = await walls.get(
        Client, client_id, Client.id, Client.team, Client.pair, Client.release_date, Client.release_type, Client.status
    )
    # htmx swaps only 2xx answers: the section with its errors comes back as 200 (nothing was saved).
    section = await page_section(
        client, form_errors(problem.errors) if problem else None, raw if problem else None, saved=problem is None
    )
    return Template("partials/_release_plan.html", context={"client": client, **section})


ROUTES = [api_release_plan, api_save_release_plan, save_release_plan_form]
