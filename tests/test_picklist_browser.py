"""Issue 19, item 7, in a real Chromium: the phone's pick list of pseudonyms lives no longer than
the session it came with (a lost phone goes quiet)."""

from __future__ import annotations

import re

import pytest

from server.accounts.sessions import revoke_sessions
from tests.test_offline_browser import go_offline, go_online, js, make, offline_after_login, phone

pytestmark = pytest.mark.anyio
__all__ = ["make"]  # the fixture, shared with the offline tests

STATE_KEYS = """async () => {
  const db = await new Promise((r) => { const q = indexedDB.open("rinnalla"); q.onsuccess = () => r(q.result); });
  return new Promise((r) => { const q = db.transaction("state").objectStore("state").getAllKeys(); q.onsuccess = () => r(q.result); });
}"""

# The session's end as the phone keeps it, moved to the past (as if the phone lay unused for a shift).
SESSION_OVER = """async () => {
  const db = await new Promise((r) => { const q = indexedDB.open("rinnalla"); q.onsuccess = () => r(q.result); });
  const store = () => db.transaction("state", "readwrite").objectStore("state");
  const row = await new Promise((r) => { const q = store().get("picklist"); q.onsuccess = () => r(q.result); });
  row.until = Date.now() - 1000;
  await new Promise((r) => { const q = store().put(row, "picklist"); q.onsuccess = () => r(true); });
  return true;
}"""


async def client_choices(page, net) -> list[str]:
    await page.goto(f"{net.base_url}/visits/new")
    await page.locator("html[data-forms-ready]").wait_for(state="attached")
    return [text.strip() for text in await page.locator("#client_id option").all_inner_texts() if text.strip()]


async def test_the_pick_list_no_longer_opens_once_its_session_is_over_even_offline(world, make):
    async with phone() as (net, context, page):
        await offline_after_login(page, net, context)
        assert "Make" in await client_choices(page, net)  # offline, within the session: the list opens
        await js(page, SESSION_OVER)
        assert "Make" not in await client_choices(page, net)  # offline, after it: nothing
        assert "picklist" not in await js(page, STATE_KEYS)


async def test_a_phone_that_finds_its_session_gone_deletes_the_pick_list(world, make):
    async with phone() as (net, context, page):
        await offline_after_login(page, net, context)
        await go_online(net, context)
        assert "picklist" in await js(page, STATE_KEYS)
        await revoke_sessions(world.alice)  # the lead ended the session (no wipe asked)
        await page.goto(f"{net.base_url}/clients")
        await page.wait_for_url(re.compile("/login"))
        await page.wait_for_function("""async () => {
          const db = await new Promise((r) => { const q = indexedDB.open("rinnalla"); q.onsuccess = () => r(q.result); });
          const keys = await new Promise((r) => { const q = db.transaction("state").objectStore("state").getAllKeys(); q.onsuccess = () => r(q.result); });
          return !keys.includes("picklist");
        }""")
        await go_offline(net, context)
        assert "Make" not in await client_choices(page, net)


async def test_a_wipe_reaches_a_phone_whose_cookie_had_expired(world, make):
    from tests.test_wipe_browser import PHONE_DATA

    async with phone() as (net, context, page):
        await offline_after_login(page, net, context)
        await go_online(net, context)
        assert (await js(page, PHONE_DATA))["keys"] == 1
        # The session cookie expires on the phone; later the lead wipes the lost phone.
        cookies = [c for c in await context.cookies() if c["name"] != "rinnalla_session"]
        await context.clear_cookies()
        await context.add_cookies(cookies)
        await revoke_sessions(world.alice, wipe=True)
        await page.goto(f"{net.base_url}/login")
        await page.locator("html[data-wiped]").wait_for(state="attached")
        after = await js(page, PHONE_DATA)
        assert after["outbox"] == 0 and after["keys"] == 0
