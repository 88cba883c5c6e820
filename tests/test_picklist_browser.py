"""Issue 19, item 7, in a real Chromium: the phone's pick list and Today copy live no longer than
the session they came with: sealed under its key, they open offline while it lives and with
nothing the phone holds once it has ended (a lost phone goes quiet)."""

from __future__ import annotations

import re

import pytest

from server.accounts.sessions import revoke_sessions
from tests.test_offline_browser import go_offline, go_online, js, log_in, make, offline_after_login, phone

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


# The sealed pick list and Today copy as they lie in IndexedDB, as plain numbers (what someone who
# copied the phone's storage would keep).
KEEP_SEALED = """async () => {
  const db = await new Promise((r) => { const q = indexedDB.open("rinnalla"); q.onsuccess = () => r(q.result); });
  const kept = {};
  for (const name of ["picklist", "fieldCopy"]) {
    const row = await new Promise((r) => { const q = db.transaction("state").objectStore("state").get(name); q.onsuccess = () => r(q.result); });
    kept[name] = { user: row.user_id, iv: Array.from(row.sealed.iv), data: Array.from(new Uint8Array(row.sealed.data)) };
  }
  db.close();
  return kept;
}"""

# Tries every AES key the phone still holds (the device key, a session key if any) on the kept
# blobs: which of them open, and how many keys were tried.
OPEN_WITH_PHONE_KEYS = """async (kept) => {
  const db = await new Promise((r) => { const q = indexedDB.open("rinnalla"); q.onsuccess = () => r(q.result); });
  const rows = await new Promise((r) => { const q = db.transaction("keys").objectStore("keys").getAll(); q.onsuccess = () => r(q.result); });
  db.close();
  const keys = rows.flatMap((row) => Object.values(row))
    .filter((value) => value instanceof CryptoKey && value.usages.includes("decrypt"));
  const opened = [];
  for (const [name, blob] of Object.entries(kept)) {
    for (const key of keys) {
      try {
        await crypto.subtle.decrypt({ name: "AES-GCM", iv: new Uint8Array(blob.iv),
          additionalData: new TextEncoder().encode(`rinnalla|${blob.user}|${name}`) }, key, new Uint8Array(blob.data));
        opened.push(name);
      } catch { /* this key does not open it */ }
    }
  }
  return { opened, tried: keys.length };
}"""

PICKLIST_GONE = """async () => {
  const db = await new Promise((r) => { const q = indexedDB.open("rinnalla"); q.onsuccess = () => r(q.result); });
  const keys = await new Promise((r) => { const q = db.transaction("state").objectStore("state").getAllKeys(); q.onsuccess = () => r(q.result); });
  db.close();
  return !keys.includes("picklist");
}"""


async def lists_kept(page) -> dict:
    await page.locator("html[data-offline-ready]").wait_for(state="attached")
    await page.locator("html[data-field-copy-kept]").wait_for(state="attached")
    kept = await js(page, KEEP_SEALED)
    assert sorted((await js(page, OPEN_WITH_PHONE_KEYS, kept))["opened"]) == ["fieldCopy", "picklist"]
    return kept


async def test_what_the_lists_left_on_the_phone_opens_with_nothing_it_holds_once_the_session_is_revoked(world, make):
    async with phone() as (net, context, page):
        await log_in(page, net)
        kept = await lists_kept(page)
        await revoke_sessions(world.alice)  # the lead ended the lost phone's session (no wipe asked)
        await page.goto(f"{net.base_url}/clients")
        await page.wait_for_url(re.compile("/login"))
        await page.wait_for_function(PICKLIST_GONE)
        after = await js(page, OPEN_WITH_PHONE_KEYS, kept)
        assert after["tried"] >= 1  # the device key is still there, for the waiting visits' summaries
        assert after["opened"] == []  # ... and it opens neither list: the session's key is gone


async def test_lists_kept_before_a_logout_do_not_open_in_the_next_session(world, make):
    async with phone() as (net, context, page):
        await log_in(page, net)
        kept = await lists_kept(page)
        await page.goto(f"{net.base_url}/settings")
        await page.locator("form[data-logout-form] button").click()
        await page.wait_for_url(re.compile("/login"))
        await page.locator("html[data-forms-ready]").wait_for(state="attached")
        assert (await js(page, OPEN_WITH_PHONE_KEYS, kept))["opened"] == []
        await log_in(page, net)  # the same worker on the same phone: a new session, a new key
        await page.locator("html[data-field-copy-kept]").wait_for(state="attached")
        assert (await js(page, OPEN_WITH_PHONE_KEYS, kept))["opened"] == []
        assert "Make" in await client_choices(page, net)  # the new session's own list opens


async def test_the_lists_open_in_a_reopened_app_with_no_network_while_the_session_lives(world, make):
    async with phone() as (net, context, page):
        await log_in(page, net)
        await lists_kept(page)
        await page.locator("html[data-offline-ready]").wait_for(state="attached")
        await go_offline(net, context)
        await page.close()  # the app is closed in a stairwell and opened again there
        page = await context.new_page()
        assert "Make" in await client_choices(page, net)
        await page.goto(f"{net.base_url}/clients")
        await page.locator("html[data-field-copy-shown]").wait_for(state="attached")
        assert "Make" in await page.locator("main").inner_text()
