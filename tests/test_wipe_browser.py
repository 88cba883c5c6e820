"""A lost phone wiped by a lead, in a real Chromium: on its next contact the phone deletes the
sealed queue, its keys and cached files, whether the browser obeys Clear-Site-Data or not."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import expect

from server.accounts.sessions import revoke_sessions
from tests.support.browser import PHONE, chromium
from tests.support.live_server import live_server
from tests.support.network import NetworkSwitch
from tests.test_offline_browser import (
    VISITS,
    expect_waiting,
    go_offline,
    go_online,
    js,
    log_in,
    log_visit,
    make,
    offline_after_login,
    phone,
    visits_of,
)

pytestmark = pytest.mark.anyio
__all__ = ["make"]  # the fixture, shared with the offline tests

# What the phone keeps of Rinnalla: the queue and keys in IndexedDB (without creating the
# database when it is gone), and the Cache Storage names.
PHONE_DATA = """async () => {
  const names = (await indexedDB.databases()).map((d) => d.name);
  let outbox = 0, keys = 0;
  if (names.includes("rinnalla")) {
    const db = await new Promise((r) => { const q = indexedDB.open("rinnalla"); q.onsuccess = () => r(q.result); });
    const count = (name) => !db.objectStoreNames.contains(name) ? 0 : new Promise((r) => {
      const q = db.transaction(name).objectStore(name).count(); q.onsuccess = () => r(q.result); });
    outbox = await count("outbox");
    keys = await count("keys");
    db.close();
  }
  return { outbox, keys, caches: await caches.keys() };
}"""


async def wiped_login_page(page) -> None:
    await page.wait_for_url(re.compile("/login"))
    await page.locator("html[data-wiped]").wait_for(state="attached")
    await expect(page.locator("[data-wiped]").last).to_be_visible()


async def test_a_wiped_phone_loses_its_waiting_visit_and_keys(world, make):
    async with phone() as (net, context, page):
        await offline_after_login(page, net, context)
        await log_visit(page, net, "Make", place="Kadonnut")
        await expect_waiting(page, 1)
        before = await js(page, PHONE_DATA)
        assert before["outbox"] == 1 and before["keys"] == 1 and before["caches"]

        await revoke_sessions(world.alice, wipe=True)  # the lead: "End sessions and wipe the phone"
        await go_online(net, context)
        await page.reload()
        await wiped_login_page(page)
        after = await js(page, PHONE_DATA)
        assert after["outbox"] == 0 and after["keys"] == 0
        assert net.requests_seen("POST", VISITS) == 0 and await visits_of(world.alice) == []

        # Alice on a new session: nothing comes back from the phone, the app works again.
        await log_in(page, net)
        await expect_waiting(page, 0)
        assert await visits_of(world.alice) == []


@contextlib.asynccontextmanager
async def phone_ignoring_clear_site_data() -> AsyncIterator[tuple]:
    """A browser that does not obey Clear-Site-Data (older Safari and Firefox obey it only in
    part): every answer reaches the page without that header. No service worker, so that every
    request passes this filter."""
    async with live_server() as (server_url, _process), chromium() as browser:
        with NetworkSwitch(server_url) as net:
            context = await browser.new_context(**PHONE, locale="fi-FI", service_workers="block")
            stripped = []

            async def without_clear_site_data(route):
                try:
                    response = await route.fetch(max_redirects=0)
                except Exception:  # the network switch is off: no answer, as for the browser itself
                    await route.abort("internetdisconnected")
                    return
                headers = {k: v for k, v in response.headers.items() if k.lower() != "clear-site-data"}
                if len(headers) != len(response.headers):
                    stripped.append(route.request.url)
                await route.fulfill(response=response, headers=headers)

            await context.route(re.compile(re.escape(net.base_url) + "/.*"), without_clear_site_data)
            page = await context.new_page()
            try:
                yield net, context, page, stripped
            finally:
                await context.close()


async def test_the_app_wipes_by_hand_where_clear_site_data_is_ignored(world, make):
    async with phone_ignoring_clear_site_data() as (net, context, page, stripped):
        await log_in(page, net)
        await page.goto(f"{net.base_url}/visits/new")
        await page.locator("html[data-forms-ready]").wait_for(state="attached")
        await go_offline(net, context)
        await page.select_option("#client_id", label="Make")
        await page.locator("form[data-visit-form] button[type=submit]").click()
        await expect_waiting(page, 1)
        assert (await js(page, PHONE_DATA))["outbox"] == 1

        await revoke_sessions(world.alice, wipe=True)
        seen = []
        page.on("response", lambda response: seen.append(response.headers.get("clear-site-data")))
        await go_online(net, context)
        # Straight to the login page: Chromium follows a redirect of a filtered answer itself,
        # unfiltered, and would then obey the header after all.
        await page.goto(f"{net.base_url}/login")
        await wiped_login_page(page)
        assert stripped and seen and not any(seen), "the browser saw Clear-Site-Data"
        after = await js(page, PHONE_DATA)
        assert after["outbox"] == 0 and after["keys"] == 0
        assert await visits_of(world.alice) == []
