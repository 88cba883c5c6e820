"""Offline visit logging in a real Chromium with a real server behind a switchable network.

The browser talks to the server through NetworkSwitch (tests/support/network.py), a loopback
proxy that can drop every connection (no signal), swallow one answer after the server has
acted on the request (the network drops mid-send), or answer 500 once. Playwright's own offline
switch is flipped with it so the page also gets its `online` event.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import expect

from server.accounts.tables import Pair, UserSession
from server.casework.tables import Visit
from server.timeutil import utcnow
from tests.support.browser import PHONE, chromium
from tests.support.casework import make_client
from tests.support.fixtures import PASSWORD
from tests.support.live_server import live_server
from tests.support.network import NetworkSwitch

pytestmark = pytest.mark.anyio
VISITS = "/api/v1/visits"

# Reads the phone's IndexedDB from the page (the same database the app uses).
READ_STORE = """async ([storeName]) => {
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open("rinnalla");
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const rows = await new Promise((resolve) => {
    const request = db.transaction(storeName).objectStore(storeName).getAll();
    request.onsuccess = () => resolve(request.result);
  });
  db.close();
  return rows;
}"""

# Resolves once a service worker controls the page (our CSP refuses eval, so no wait_for_function).
CONTROLLED = """navigator.serviceWorker.controller ? true : new Promise((resolve) =>
  navigator.serviceWorker.addEventListener("controllerchange", () => resolve(true)))"""


@pytest.fixture
async def make(world):
    pair = await Pair.select(Pair.id).first()
    return await make_client(world.team_a, "Make", pair["id"])


@contextlib.asynccontextmanager
async def phone(extra_env: dict | None = None) -> AsyncIterator[tuple]:
    async with live_server(extra_env) as (server_url, _process), chromium() as browser:
        with NetworkSwitch(server_url) as net:
            context = await browser.new_context(**PHONE, locale="fi-FI")
            page = await context.new_page()
            if os.environ.get("RINNALLA_BROWSER_LOG"):
                page.on("console", lambda message: print("console:", message.type, message.text, flush=True))
                page.on("pageerror", lambda error: print("page error:", error, flush=True))
            try:
                yield net, context, page
            finally:
                await context.close()
            assert net.errors == []


async def log_in(page, net, email: str = "alice@example.org") -> None:
    await page.goto(f"{net.base_url}/login")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("form[action='/login'] button[type=submit]")
    await page.wait_for_url(re.compile(r"/(\?.*)?$"))


async def ready_for_offline(page) -> None:
    """The service worker is active (it answers every navigation in its scope from then on,
    whether or not it controls the page that registered it); the key and pick list are stored."""
    await page.locator("html[data-offline-ready]").wait_for(state="attached")
    await js(page, "navigator.serviceWorker.ready.then(() => true)")


async def go_offline(net, context) -> None:
    net.go_offline()
    await context.set_offline(True)


async def go_online(net, context) -> None:
    net.go_online()
    await context.set_offline(False)


async def waiting_count(page) -> int:
    status = page.locator("#outbox-status")
    if await status.is_hidden():
        return 0
    return int(re.search(r"\d+", await status.inner_text()).group())


# Resolves when the phone's queue holds `n` visits, checked again on every change the app
# announces (its BroadcastChannel), not by polling.
QUEUE_HOLDS = """async (n) => {
  const count = async () => {
    const db = await new Promise((r) => { const q = indexedDB.open("rinnalla"); q.onsuccess = () => r(q.result); });
    const found = await new Promise((r) => { const q = db.transaction("outbox").objectStore("outbox").count(); q.onsuccess = () => r(q.result); });
    db.close();
    return found;
  };
  if (await count() === n) return true;
  return new Promise((resolve) => {
    const channel = new BroadcastChannel("rinnalla-outbox");
    channel.onmessage = async () => { if (await count() === n) { channel.close(); resolve(true); } };
  });
}"""


async def js(page, script: str, arg=None, timeout: float = 20):
    """page.evaluate with a deadline: a promise in the page that never settles fails the test."""
    return await asyncio.wait_for(page.evaluate(script, arg), timeout)


async def queue_holds(page, count: int) -> None:
    await js(page, QUEUE_HOLDS, count)


async def expect_waiting(page, count: int) -> None:
    status = page.locator("#outbox-status")
    if count == 0:
        await queue_holds(page, 0)
        await expect(status).to_be_hidden()
    else:
        await expect(status).to_have_text(re.compile(rf"\b{count}\b"))
        await expect(status).to_be_visible()


async def log_visit(page, net, client: str | None = None, place: str = "", **fields: str) -> None:
    """Logs a visit through the form: with a client chosen by pseudonym, or anonymous (None).
    `fields` fills more inputs by id, e.g. notes=… or occurred_at=…."""
    if client is None:
        await page.goto(f"{net.base_url}/visits/new?anonymous=true")
    else:
        await page.goto(f"{net.base_url}/visits/new")
    # The page's script takes the form over (to the queue) once it has the user's keys: a click
    # before that posts the plain form, which a busy machine showed as a "lost" queued visit.
    await page.locator("html[data-forms-ready]").wait_for(state="attached")
    if client is not None:
        await page.select_option("#client_id", label=client)
    if place:
        details = page.locator("details.add-form")
        if await details.get_attribute("open") is None:
            await details.locator("summary").click()
        await page.fill("#place", place)
    for field_id, value in fields.items():
        await page.fill(f"#{field_id}", value)
    await page.locator("form[data-visit-form] button[type=submit]").click()


async def offline_after_login(page, net, context) -> None:
    await log_in(page, net)
    await ready_for_offline(page)
    await go_offline(net, context)


async def visits_of(user_id: int) -> list[dict]:
    return await Visit.select().where(Visit.created_by == user_id).order_by(Visit.occurred_at)


async def test_three_visits_logged_offline_reach_the_server_exactly_once(world, make):
    async with phone() as (net, context, page):
        await offline_after_login(page, net, context)

        await log_visit(page, net, "Make", place="Rappukäytävä")
        await page.locator("#visit-queued").wait_for()
        assert "Ei verkkoa" in await page.locator("#visit-queued").inner_text()  # said as it is: no network
        await log_visit(page, net, None)
        await page.locator("#visit-queued").wait_for()
        await log_visit(page, net, "Make", place="Tunneli")
        await page.locator("#visit-queued").wait_for()
        await expect_waiting(page, 3)
        assert "3" in await page.locator("#outbox-status").inner_text()

        await page.reload()  # with no network the app still opens, from the phone
        await expect_waiting(page, 3)
        assert await page.locator("form[data-visit-form]").count() == 1
        assert await visits_of(world.alice) == []

        await go_online(net, context)  # the `online` event sends them
        await expect_waiting(page, 0)
        stored = await visits_of(world.alice)
        assert len(stored) == 3
        assert sorted(v["place"] for v in stored) == ["", "Rappukäytävä", "Tunneli"]
        assert [v["anonymous_count"] for v in stored if v["client"] is None] == [1]
        assert net.requests_seen("POST", VISITS) == 3
        assert await js(page, READ_STORE, ["outbox"]) == []


async def test_waiting_visits_are_sealed_on_the_phone(world, make):
    async with phone() as (net, context, page):
        await offline_after_login(page, net, context)
        await log_visit(page, net, "Make", notes="Salainen muistiinpano")
        await expect_waiting(page, 1)
        raw = await js(
            page,
            """async () => {
          const db = await new Promise((r) => { const q = indexedDB.open("rinnalla"); q.onsuccess = () => r(q.result); });
          const rows = await new Promise((r) => { const q = db.transaction("outbox").objectStore("outbox").getAll(); q.onsuccess = () => r(q.result); });
          const keys = await new Promise((r) => { const q = db.transaction("keys").objectStore("keys").getAll(); q.onsuccess = () => r(q.result); });
          let exported = "refused";
          try { await crypto.subtle.exportKey("raw", keys[0].key); exported = "exported"; } catch (e) {}
          const bytes = (buffer) => Array.from(new Uint8Array(buffer));
          return { rows: rows.map((row) => ({ user: row.user_id, content: bytes(row.sealed.data),
                                             summary: bytes(row.summary.data) })),
                   deviceKeyExtractable: keys[0].key.extractable, exported,
                   privateKeyStored: Object.values(keys[0]).some((value) => value instanceof CryptoKey && value.type === "private"),
                   wrapped: keys[0].wrapped_private instanceof ArrayBuffer };
        }""",
        )
        assert len(raw["rows"]) == 1 and raw["rows"][0]["user"] == world.alice
        for sealed in (bytes(raw["rows"][0]["content"]), bytes(raw["rows"][0]["summary"])):
            assert b"Salainen" not in sealed and b"notes" not in sealed and b"client_id" not in sealed
        assert raw["deviceKeyExtractable"] is False and raw["exported"] == "refused"
        assert raw["wrapped"] and not raw["privateKeyStored"]  # the private key only ever wrapped


# Opens a waiting visit with the app's own modules, as the outbox page would.
OPEN_FIRST_ITEM = """async () => {
  const base = document.querySelector("script[type=module]").src.replace("js/app.js", "");
  const { itemsOf, openItem, summaryOf } = await import(base + "js/outbox.js");
  const { queueUser, tokens } = await import(base + "js/session.js");
  const { unlock } = await import(base + "js/seal.js");
  const user = await queueUser();
  // These module files run apart from the page's joined app.js: unlocked here as the page does at
  // start-up, which fails as the page's did when the session has ended or there is no network.
  await unlock(user, await tokens.current()).catch(() => null);
  const [item] = await itemsOf(user);
  return { content: await openItem(user, item), summary: await summaryOf(user, item) };
}"""


async def test_network_dropping_mid_send_still_stores_the_visit_once(world, make):
    async with phone() as (net, context, page):
        await log_in(page, net)
        await ready_for_offline(page)
        net.cut_response_once(VISITS)  # the server stores it, the phone never hears back
        await log_visit(page, net, "Make", place="Asema")
        await net.wait_cut()
        await page.locator("#visit-queued").wait_for()  # no answer: kept on the phone
        # Sent again by the next trigger (Background Sync here); the server answers 200.
        await expect_waiting(page, 0)
        assert len(await visits_of(world.alice)) == 1
        assert net.requests_seen("POST", VISITS) == 2


async def test_a_server_error_keeps_the_visit_and_it_is_sent_after_a_pause(world, make):
    async with phone() as (net, context, page):
        await log_in(page, net)
        await ready_for_offline(page)
        net.fail_once(VISITS, status=500)
        await log_visit(page, net, "Make", place="Puisto")
        await net.wait_failed()
        await page.locator("#visit-queued").wait_for()
        assert await visits_of(world.alice) == []
        await expect_waiting(page, 0)  # retried by itself after the pause, with no reload
        assert len(await visits_of(world.alice)) == 1
        assert net.requests_seen("POST", VISITS) == 2


async def test_a_visit_the_server_refuses_is_kept_shown_and_fixed(world, make):
    async with phone() as (net, context, page):
        await offline_after_login(page, net, context)
        await log_visit(page, net, "Make", occurred_at="2099-01-01T10:00")  # a phone with a wrong clock
        await expect_waiting(page, 1)

        await go_online(net, context)
        await page.locator("#outbox-status.outbox-status--alert").wait_for()  # needs attention
        await page.goto(f"{net.base_url}/outbox")
        item = page.locator(".outbox-item")
        await item.wait_for()
        assert await item.get_attribute("data-state") == "needs_fix"
        assert "Make" in await item.inner_text()
        assert await item.locator("[data-errors] li").count() == 1

        await item.locator("[data-fix]").click()
        await page.locator("#draft-errors").wait_for()
        assert await page.input_value("#occurred_at") == "2099-01-01T10:00"
        await page.fill("#occurred_at", "2026-11-20T10:00")
        await page.locator("form[data-visit-form] button[type=submit]").click()
        await page.wait_for_url(re.compile(r"/clients/\d+\?saved=visit"))
        stored = await visits_of(world.alice)
        assert len(stored) == 1 and stored[0]["occurred_at"].year == 2026
        assert await js(page, READ_STORE, ["outbox"]) == []


async def test_visits_wait_through_an_expired_session_and_go_after_the_same_user_logs_in(world, make):
    async with phone() as (net, context, page):
        await offline_after_login(page, net, context)
        await log_visit(page, net, "Make", place="Ennen")
        await expect_waiting(page, 1)
        await UserSession.update({UserSession.revoked_at: utcnow()}).where(UserSession.user == world.alice)
        await log_visit(page, net, "Make", place="Jälkeen")  # the phone cannot know yet
        await expect_waiting(page, 2)

        # Whoever holds the phone now can see when and whom, but not what was written.
        await page.goto(f"{net.base_url}/outbox")
        opened = await js(page, OPEN_FIRST_ITEM)
        assert opened["content"] is None and opened["summary"]["client_id"] is not None

        await go_online(net, context)
        await page.reload()  # the server sends the ended session to the login page
        await page.wait_for_url(re.compile("/login"))
        await expect_waiting(page, 2)  # kept: without a session they cannot even be opened to send
        assert net.requests_seen("POST", VISITS) == 0
        assert await visits_of(world.alice) == []

        await log_in(page, net)
        await expect_waiting(page, 0)
        assert sorted(v["place"] for v in await visits_of(world.alice)) == ["Ennen", "Jälkeen"]


async def test_another_user_on_the_same_phone_can_neither_see_nor_send_the_queue(world, make):
    async with phone() as (net, context, page):
        await offline_after_login(page, net, context)
        await log_visit(page, net, "Make", place="Alicen")
        await expect_waiting(page, 1)
        # Alice's session ends while she is offline; Bob picks up the same phone.
        await UserSession.update({UserSession.revoked_at: utcnow()}).where(UserSession.user == world.alice)
        await go_online(net, context)
        await log_in(page, net, "bob@example.org")
        await ready_for_offline(page)  # Bob's page has run its start-up
        tried_before_bob = net.requests_seen("POST", VISITS)  # the login page tried Alice's: 401

        assert await waiting_count(page) == 0
        await page.goto(f"{net.base_url}/outbox")
        await page.locator("#outbox-empty").wait_for()
        assert await page.locator(".outbox-item").count() == 0
        keys = {row["user_id"]: row for row in await js(page, READ_STORE, ["keys"])}
        assert "key" in keys[world.bob] and "key" not in keys[world.alice]  # Alice's device key is gone
        assert len(await js(page, READ_STORE, ["outbox"])) == 1  # still there, sealed for Alice
        assert net.requests_seen("POST", VISITS) == tried_before_bob  # Bob's pages never send Alice's
        assert await visits_of(world.alice) == [] and await visits_of(world.bob) == []

        await page.goto(f"{net.base_url}/settings")
        await page.locator("form[data-logout-form] button").click()  # nothing of Bob's waits: no question
        await page.wait_for_url(re.compile("/login"))
        await log_in(page, net)
        await expect_waiting(page, 0)
        assert [v["place"] for v in await visits_of(world.alice)] == ["Alicen"]
        assert await visits_of(world.bob) == []


async def test_logging_out_asks_first_and_keeps_the_waiting_visit_sealed(world, make):
    async with phone() as (net, context, page):
        await offline_after_login(page, net, context)
        await log_visit(page, net, "Make", occurred_at="2099-01-01T10:00")
        await expect_waiting(page, 1)
        await go_online(net, context)
        await page.goto(f"{net.base_url}/settings")
        await page.locator("#outbox-status.outbox-status--alert").wait_for()  # refused: waits to be fixed

        dialogs: asyncio.Queue = asyncio.Queue()
        page.on("dialog", dialogs.put_nowait)
        logout = page.locator("form[data-logout-form] button")
        click = asyncio.create_task(logout.click())  # the click returns once the question is answered
        question = await asyncio.wait_for(dialogs.get(), 10)
        assert "1" in question.message
        await question.dismiss()
        await click
        await expect(page.locator("h1")).to_be_visible()
        assert page.url.endswith("/settings")  # said no: still logged in
        click = asyncio.create_task(logout.click())
        await (await asyncio.wait_for(dialogs.get(), 10)).accept()
        await click
        await page.wait_for_url(re.compile("/login"))
        assert all("key" not in row for row in await js(page, READ_STORE, ["keys"]))  # device key gone
        state_keys = await js(
            page,
            """async () => {
          const db = await new Promise((r) => { const q = indexedDB.open("rinnalla"); q.onsuccess = () => r(q.result); });
          return new Promise((r) => { const q = db.transaction("state").objectStore("state").getAllKeys(); q.onsuccess = () => r(q.result); });
        }""",
        )
        assert "picklist" not in state_keys and "user" not in state_keys
        assert len(await js(page, READ_STORE, ["outbox"])) == 1

        await log_in(page, net)  # the same user again: the sealed visit opens, the shell still works
        await ready_for_offline(page)
        await go_offline(net, context)
        await page.goto(f"{net.base_url}/outbox")
        item = page.locator(".outbox-item")
        await expect(item).to_have_attribute("data-state", "needs_fix")
        assert "Make" in await item.inner_text()


async def test_a_new_version_is_announced_and_taken_whole_on_update(world, make):
    async with live_server({"RINNALLA_RELEASE": "first"}) as (first_url, first_process), chromium() as browser:
        with NetworkSwitch(first_url) as net:
            context = await browser.new_context(**PHONE, locale="fi-FI")
            page = await context.new_page()
            await log_in(page, net)
            await ready_for_offline(page)
            old_version = re.search(r"/assets/(\w+)/js/app\.js", await page.content()).group(1)
            await go_offline(net, context)
            await log_visit(page, net, "Make", place="Päivityksen yli")  # saved under the old version
            await expect_waiting(page, 1)

            first_process.terminate()  # the same data, a new release, behind the same address
            first_process.wait(timeout=30)
            async with live_server({"RINNALLA_RELEASE": "second"}) as (second_url, _second):
                net.upstream = ("127.0.0.1", int(second_url.rsplit(":", 1)[1]))
                await go_online(net, context)
                # Pages come from the network, each whole with its own release's files; the old
                # worker still holds the offline shell until the user takes the new version.
                await page.goto(f"{net.base_url}/settings")
                banner = page.locator("#update-banner")
                await expect(banner).to_be_visible(timeout=15000)  # installed beside, waiting
                async with page.expect_navigation():
                    await page.locator("#update-now").click()  # taken with one reload
                new_version = re.search(r"/assets/(\w+)/js/app\.js", await page.content()).group(1)
                assert new_version != old_version
                await js(page, CONTROLLED)
                caches = await js(page, "caches.keys()")
                assert caches == [f"rinnalla-{new_version}"]  # nothing of the old version is left
                sources = await js(
                    page,
                    "[...document.querySelectorAll('script[src], link[rel=stylesheet]')].map(e => e.src || e.href)",
                )
                assert sources and all(f"/assets/{new_version}/" in url for url in sources)
                await expect_waiting(page, 0)  # the visit saved under the old version went
                assert [v["place"] for v in await visits_of(world.alice)] == ["Päivityksen yli"]
            await context.close()
            assert net.errors == []


async def test_the_service_directory_works_with_no_network(world, make):
    from server.services.directory import load_national_services
    from server.services.tables import Service

    await load_national_services()
    async with phone() as (net, context, page):
        await log_in(page, net)
        await ready_for_offline(page)
        # Added after the app was installed: the next online visit to the directory keeps it too.
        await Service.insert(Service(name_fi="Kallion iltapäivystys", category="crisis", phone="09 123 4567"))
        await page.goto(f"{net.base_url}/services")
        await expect(page.locator(".list-item__title", has_text="Kallion iltapäivystys")).to_be_visible()
        await page.locator("html[data-services-kept]").wait_for(state="attached")
        await go_offline(net, context)
        await page.goto(f"{net.base_url}/services")
        services = page.locator("[data-service]:visible")
        assert await services.count() > 15
        assert await js(page, "document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
        await page.fill("#q", "myrkytys")
        await expect(services).to_have_count(1)
        assert await services.locator("a[href^='tel:']").first.get_attribute("href") == "tel:0800147111"
        await services.get_by_role("link", name="Näytä asiakkaalle").click()  # large type, no network needed
        card = page.get_by_role("dialog", name="Myrkytystietokeskus (HUS)")
        await expect(card).to_be_visible()
        assert "0800 147 111" in await card.inner_text()
        await card.get_by_role("link", name="Sulje").click()
        await expect(card).to_be_hidden()
        await page.fill("#q", "kallion")
        await expect(services).to_have_count(1)
