"""The service worker in a real Chromium: a push shows a notification that names no one, a repeat
with the same tag replaces it, and the settings page offers reminders only after a tap."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.support.browser import PHONE, chromium
from tests.support.live_server import live_server
from tests.test_offline_browser import js, log_in

pytestmark = pytest.mark.anyio

# Resolves with the service worker's notifications once there are `n` (re-checked on each frame
# until then; Playwright's own waits do the same).
NOTIFICATIONS = """async (n) => {
  const registration = await navigator.serviceWorker.ready;
  for (;;) {
    const shown = await registration.getNotifications();
    if (shown.length >= n) return shown.map((x) => ({title: x.title, body: x.body, tag: x.tag, url: x.data.url}));
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
}"""


class Net:  # log_in wants the address the browser uses
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url


async def _registration_id(cdp) -> str:
    found: asyncio.Future = asyncio.get_running_loop().create_future()

    def updated(event: dict) -> None:
        for registration in event["registrations"]:
            if not registration["isDeleted"] and not found.done():
                found.set_result(registration["registrationId"])

    cdp.on("ServiceWorker.workerRegistrationUpdated", updated)
    await cdp.send("ServiceWorker.enable")
    return await asyncio.wait_for(found, 20)


async def test_a_push_shows_a_notification_and_a_repeat_replaces_it(world):
    async with live_server() as (server_url, _process), chromium() as browser:
        context = await browser.new_context(**PHONE, locale="fi-FI")
        await context.grant_permissions(["notifications"], origin=server_url)
        page = await context.new_page()
        await log_in(page, Net(server_url))
        await page.goto(f"{server_url}/settings")
        await js(page, "navigator.serviceWorker.ready.then(() => true)")
        cdp = await context.new_cdp_session(page)
        registration = await _registration_id(cdp)
        payload = {
            "title": "Rinnalla-muistutus",
            "body": "Tapaaminen huomenna klo 10.00",
            "url": "/clients/4",
            "tag": "r17",
        }
        for _ in range(2):  # the same reminder delivered twice (a retry after a lost answer)
            await cdp.send(
                "ServiceWorker.deliverPushMessage",
                {"origin": server_url, "registrationId": registration, "data": json.dumps(payload)},
            )
        shown = await js(page, NOTIFICATIONS, 1)
        assert shown == [
            {"title": "Rinnalla-muistutus", "body": "Tapaaminen huomenna klo 10.00", "tag": "r17", "url": "/clients/4"}
        ]
        # A push that cannot be read still shows something (iOS drops silent subscriptions).
        await cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": server_url, "registrationId": registration, "data": "not json"},
        )
        shown = await js(page, NOTIFICATIONS, 2)
        # Shown after the two deliveries of r17: had they piled up, there would be three.
        assert sorted(n["title"] for n in shown) == ["Rinnalla", "Rinnalla-muistutus"]
        await context.close()


async def test_the_settings_page_asks_for_permission_only_after_a_tap(world):
    async with live_server() as (server_url, _process), chromium() as browser:
        context = await browser.new_context(**PHONE, locale="fi-FI")
        page = await context.new_page()
        await log_in(page, Net(server_url))
        await page.goto(f"{server_url}/settings")
        panel = page.locator("[data-push-panel]")
        await panel.locator("[data-push-status]", has_text="Muistutukset ovat pois päältä").wait_for()
        assert await js(page, "Notification.permission") == "default"  # nothing asked on load
        assert await panel.locator("[data-push-on]").is_visible()
        assert await panel.locator("[data-push-off]").is_hidden()
        assert await panel.locator("[data-push-iphone]").is_hidden()
        await context.close()
