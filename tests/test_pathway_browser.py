"""The client's link page in a real Chromium: the client agrees to see what was written together
(a tap, no account), and the link's own worker shows the offline copy when the network is gone."""

from __future__ import annotations

import os

import pytest
from playwright.async_api import expect

from server.push.tables import ReminderLink
from server.timeutil import utcnow
from tests.support.browser import PHONE, chromium
from tests.support.live_server import live_server
from tests.support.network import NetworkSwitch
from tests.test_pathway_link import BEHIND, TOGETHER, make_path

pytestmark = pytest.mark.anyio
SHOTS = os.environ.get("RINNALLA_SHOTS")  # a folder: screenshots for a person to look at


async def view(page, selector: str, name: str) -> None:
    """What a phone shows with `selector` scrolled to the top of the screen (not the whole page)."""
    if SHOTS:
        await page.locator(selector).first.evaluate("(element) => element.scrollIntoView()")
        await page.screenshot(path=os.path.join(SHOTS, f"{name}.png"))


async def shot(page, name: str) -> None:
    if SHOTS:
        await page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.mark.parametrize("language", ["fi", "sv"])
async def test_the_client_agrees_on_the_page_and_the_copy_works_without_network(client, world, language):
    path, client_id = await make_path(client, world, language=language)
    async with live_server() as (server_url, _process), chromium() as browser:
        with NetworkSwitch(server_url) as net:
            context = await browser.new_context(**PHONE, locale="fi-FI")
            page = await context.new_page()
            try:
                await page.goto(net.base_url + path)
                await page.locator('[data-sharing="off"]').wait_for()
                assert TOGETHER not in await page.content()
                await shot(page, f"link-{language}-off")
                await page.click("[data-sharing-on]")
                await page.locator('[data-sharing="on"]').wait_for()
                text = await page.content()
                assert TOGETHER in text and "Velat järjestykseen" in text and BEHIND not in text
                # The link's worker controls the link alone, and says when its copy is on the phone.
                await page.locator('html[data-link-copy="ready"]').wait_for(state="attached")
                scope = await page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)")
                assert scope == net.base_url + path
                await shot(page, f"link-{language}-on")

                net.go_offline()
                await context.set_offline(True)
                await page.goto(net.base_url + path)
                await page.locator("[data-offline-copy]").wait_for()
                copy = await page.content()
                assert f'lang="{language}"' in copy and "Velat järjestykseen" in copy and "Kela" in copy
                assert TOGETHER not in copy and BEHIND not in copy  # the copy holds appointments and goals
                await shot(page, f"link-{language}-offline")
                net.go_online()
                await context.set_offline(False)

                await page.goto(net.base_url + path)
                await page.click("[data-sharing-off]")
                await page.locator('[data-sharing="off"]').wait_for()
                assert TOGETHER not in await page.content()

                # The worker stops the link: the client gets a page saying so, and the copy goes.
                await ReminderLink.update({ReminderLink.revoked_at: utcnow()}).where(ReminderLink.client == client_id)
                answer = await page.goto(net.base_url + path)
                assert answer.status == 410 and f'lang="{language}"' in await page.content()
                await shot(page, f"link-{language}-ended")
                kept = await page.evaluate(
                    "(copy) => caches.open('client-link-copy').then((c) => c.match(copy)).then((r) => Boolean(r))",
                    path + "/offline",
                )
                assert kept is False
            finally:
                await context.close()
            assert net.errors == []


@pytest.mark.parametrize("language", ["fi", "sv"])
async def test_the_pair_moves_a_goal_and_records_a_review_on_the_client_page(client, world, language):
    import re

    from server.accounts.tables import User
    from server.pathway.tables import Goal, Review
    from tests.support.fixtures import PASSWORD

    _path, client_id = await make_path(client, world)
    await User.update({User.language: language}).where(User.id == world.alice)
    async with live_server() as (server_url, _process), chromium() as browser:
        context = await browser.new_context(**PHONE, locale="fi-FI")
        page = await context.new_page()
        try:
            await page.goto(f"{server_url}/login")
            await page.fill("#email", "alice@example.org")
            await page.fill("#password", PASSWORD)
            await page.click("form[action='/login'] button[type=submit]")
            await page.wait_for_url(re.compile(r"/(\?.*)?$"))
            await page.goto(f"{server_url}/clients/{client_id}#agreement")
            await page.locator("#path svg").wait_for()
            await view(page, "#agreement", f"path-{language}-agreement")
            await view(page, "#reviews", f"path-{language}-reviews")
            goal = await Goal.select(Goal.id).order_by(Goal.position).first()
            # htmx swaps the section only: the page is not reloaded (a marker on it survives).
            await page.evaluate("document.body.dataset.stay = 'yes'")
            await page.locator(f"#goal-{goal['id']} form:has(input[value=progressing]) button").click()
            await page.locator(f'#goal-{goal["id"]}[data-goal-status="progressing"]').wait_for()
            assert await page.evaluate("document.body.dataset.stay") == "yes"
            await page.locator("#reviews ~ .card details.add-form > summary").last.click()
            await page.locator("input[name=score_housing][value='5'] + span").click()
            await page.locator("input[name=word_housing]").fill("oma kämppä")
            await page.locator("input[name=score_work_study][value='2'] + span").click()
            await view(page, "form[action$='/reviews']", f"path-{language}-review-form")
            await page.locator("form[action$='/reviews'] button[type=submit]").click()
            await expect(page.locator("#path [data-review]")).to_have_count(3)
            assert await Review.count() == 3
            assert await page.evaluate("document.body.dataset.stay") == "yes"
        finally:
            await context.close()
