"""Where the parts are plugged together: a lower layer asks for something through a small hook,
and this hands it what an upper layer offers, so imports between domains point one way (see
docs/architecture.md). The app factory, the worker and the command line call `wire()` first.
"""

from __future__ import annotations

from typing import Any

from server.accounts.throttle import throttle_figures
from server.casework import elsewhere, today
from server.casework.client_view import ClientPage
from server.casework.page_parts import add_parts
from server.observability.metrics_routes import read_at_scrape
from server.pathway.reminders import path_reminders
from server.pathway.reviews import reviews_due
from server.pathway.sections import path_section
from server.pathway.sharing import client_view as shared_path
from server.push import planner
from server.push.link_ending import end_client_links
from server.push.link_routes import add_link_page_parts
from server.push.links import client_links
from server.push.outbox import outbox_figures
from server.push.subscriptions import phone_figures
from server.referrals.referrals import insert_referral, referrals_of_client, require_service
from server.release.plan import page_section as release_plan_section
from server.rhythm.debriefs import remind_to_debrief
from server.scope import TeamScope
from server.services.directory import list_services, service_choices


def wire() -> None:
    """Idempotent: tests make many apps in one process."""
    read_at_scrape(outbox_figures, phone_figures, throttle_figures)
    add_parts("client", _path_part, _release_plan_part, _referrals_part, _reminder_links_part, _service_choices_part)
    add_parts("visit_form", _service_choices_part)
    add_parts("home", _quick_services_part)
    today.reviews_due_from(_reviews_due)
    planner.plan_also(path_reminders)
    add_link_page_parts(_shared_path_part)
    elsewhere.follow_with(
        elsewhere.Followers(
            replan=planner.plan_client,
            end_links=end_client_links,
            remind_to_debrief=remind_to_debrief,
            require_service=require_service,
            insert_referral=insert_referral,
        )
    )


async def _path_part(page: ClientPage) -> dict[str, Any]:
    return {"path": await path_section(page.walls, page.client["id"], page.form, page.errors, page.values)}


async def _release_plan_part(page: ClientPage) -> dict[str, Any]:
    if page.form == "release_plan":
        return await release_plan_section(page.client, page.errors, page.values)
    return await release_plan_section(page.client)


async def _reminder_links_part(page: ClientPage) -> dict[str, Any]:
    return {"reminder_links": await client_links(page.walls, page.client["id"])}


async def _referrals_part(page: ClientPage) -> dict[str, Any]:
    return {"referrals": await referrals_of_client(page.walls, page.client["id"])}


async def _service_choices_part(_page: Any) -> dict[str, Any]:
    return {"service_choices": await service_choices()}


async def _quick_services_part(_walls: TeamScope) -> dict[str, Any]:
    return {"quick_services": [s for s in await list_services(quick_only=True) if s["phone"]]}


async def _reviews_due(walls: TeamScope, mine_only: bool) -> list[dict]:
    return await reviews_due(walls, mine_only=mine_only)


async def _shared_path_part(link: dict[str, Any]) -> dict[str, Any]:
    return {"path": await shared_path(link)}
