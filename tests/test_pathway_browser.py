"""The client's link page in a real Chromium: the client agrees to see what was written together
(a tap, no account), and the link's own worker shows the offline copy when the network is gone."""

from __future__ import annotations

import os

import pytest

from tests.support.browser import PHONE, chromium
from tests.support.live_server import live_server
from tests.support.network import NetworkSwitch
from tests.test_pathway_link import BEHIND, TOGETHER, make_path

pytestmark = pytest.mark.anyio
SHOTS = os.environ.get("RINNALLA_SHOTS")  # a folder: screenshots for a person to look at


async def shot(page, name: str) -> None:
    if SHOTS:
        await page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.mark.parametrize("language", ["fi", "sv"])
async def test_the_client_agrees_on_the_page_and_the_copy_works_without_network(client, world, language):
    path, _client_id = await make_path(client, world, language=language)
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
            finally:
                await context.close()
            assert net.errors == []
