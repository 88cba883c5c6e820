"""A group visit logged on a phone with no network (real Chromium, real server, the network cut and
restored by tests/support/network.py): sent when the network returns, stored once, and one line in
each attendee's timeline; also when the first answer is lost on the way."""

from __future__ import annotations

import pytest

from server.accounts.tables import Pair
from server.casework.tables import Visit, VisitAttendee
from tests.support.casework import make_client
from tests.test_offline_browser import (
    VISITS,
    expect_waiting,
    go_online,
    log_in,
    offline_after_login,
    phone,
    ready_for_offline,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
async def caseload(world) -> dict[str, int]:
    pair = (await Pair.select(Pair.id).where(Pair.team == world.team_a).first())["id"]
    return {name: await make_client(world.team_a, name, pair) for name in ("Make", "Pete", "Late")}


async def log_group(page, net, attendees: list[str], unnamed: str = "") -> None:
    await page.goto(f"{net.base_url}/visits/new")
    await page.locator("label.chip", has_text="Ryhmätoiminta").click()
    section = page.locator("details[data-kind-section=group]")
    # Offline the shell's chips come from the phone's pick list; online the server lists them.
    for name in attendees:
        await section.locator("label.chip", has_text=name).click()
    if unnamed:
        await section.locator("#anonymous_count").fill(unnamed)
    assert await page.locator("details[data-kind-section=network_meeting]").is_hidden()
    await page.locator("form[data-visit-form] button[type=submit]").click()


async def timelines(caseload: dict[str, int]) -> dict[str, int]:
    """How many visits each client's timeline holds (their own and the groups they were at)."""
    found = {}
    for name, client_id in caseload.items():
        own = await Visit.count().where(Visit.client == client_id)
        found[name] = own + await VisitAttendee.count().where(VisitAttendee.client == client_id)
    return found


async def test_a_group_visit_logged_offline_reaches_every_attendee_once(world, caseload):
    async with phone() as (net, context, page):
        await offline_after_login(page, net, context)
        await log_group(page, net, ["Make", "Pete"], unnamed="3")
        await page.locator("#visit-queued").wait_for()
        await expect_waiting(page, 1)
        assert await Visit.count() == 0

        await go_online(net, context)
        await expect_waiting(page, 0)
        visits = await Visit.select(Visit.client, Visit.kind, Visit.anonymous_count)
        assert visits == [{"client": None, "kind": "group", "anonymous_count": 3}]
        assert await timelines(caseload) == {"Make": 1, "Pete": 1, "Late": 0}
        assert net.requests_seen("POST", VISITS) == 1


async def test_a_group_visit_whose_answer_is_lost_is_stored_once(world, caseload):
    async with phone() as (net, context, page):
        await log_in(page, net)
        await ready_for_offline(page)
        net.cut_response_once(VISITS)  # the server stores it, the phone never hears back
        await log_group(page, net, ["Make", "Pete", "Late"])
        await net.wait_cut()
        await expect_waiting(page, 0)  # sent again; the server answers with the stored visit
        assert await Visit.count() == 1
        assert await timelines(caseload) == {"Make": 1, "Pete": 1, "Late": 1}
        assert net.requests_seen("POST", VISITS) == 2
