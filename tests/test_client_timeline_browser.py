"""Older visits in a real browser: htmx swaps them in under the client page's newest, and without
JavaScript the same link opens them as a page. Real Chromium, real server."""

from __future__ import annotations

import pytest

from server.casework.client_view import TIMELINE_PAGE
from tests.support.browser import PHONE, chromium
from tests.support.live_server import live_server
from tests.test_browser import SCREENSHOTS, log_in, shot
from tests.test_client_timeline import OLDER, long_history  # noqa: F401  (the fixture)

pytestmark = pytest.mark.anyio


async def test_show_older_visits_swaps_them_in_on_the_client_page(world, long_history):  # noqa: F811
    async with live_server() as (base_url, _process), chromium() as browser:
        context = await browser.new_context(**PHONE, locale="fi-FI")
        page = await context.new_page()
        csp_errors: list[str] = []
        page.on("console", lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None)
        await log_in(page, base_url, "alice@example.org")
        await page.goto(f"{base_url}/clients/{long_history}")
        items = page.locator(".timeline__item")
        assert await items.count() == TIMELINE_PAGE
        more = page.get_by_role("link", name="Näytä vanhemmat kohtaamiset")
        await more.scroll_into_view_if_needed()
        if SCREENSHOTS:  # what the thumb sees: the link under the newest visits
            await page.screenshot(path=f"{SCREENSHOTS}/client-older-link-fi.png")
        await more.click()
        await page.get_by_text(f"Käynti numero {TIMELINE_PAGE + OLDER - 1}.").wait_for()
        assert await items.count() == TIMELINE_PAGE + OLDER
        assert page.url == f"{base_url}/clients/{long_history}"  # swapped in place, no navigation
        assert await page.get_by_role("link", name="Näytä vanhemmat kohtaamiset").count() == 0
        await shot(page, "client-older-swapped-fi")
        assert csp_errors == []
        await context.close()


async def test_without_javascript_the_older_visits_are_a_page(world, long_history):  # noqa: F811
    async with live_server() as (base_url, _process), chromium() as browser:
        context = await browser.new_context(**PHONE, java_script_enabled=False, locale="sv-FI")
        page = await context.new_page()
        await page.goto(f"{base_url}/login")
        await log_in_swedish(page, base_url)
        await page.goto(f"{base_url}/clients/{long_history}")
        await page.get_by_role("link", name="Visa äldre kontakter").click()
        await page.wait_for_url(f"{base_url}/clients/{long_history}/visits?offset={TIMELINE_PAGE}")
        assert await page.locator(".timeline__item").count() == OLDER
        assert "Äldre kontakter" in await page.locator("h2").first.inner_text()
        await shot(page, "client-older-page-sv")
        await page.get_by_role("link", name="Tillbaka till klienten").click()
        await page.wait_for_url(f"{base_url}/clients/{long_history}")
        await context.close()


async def log_in_swedish(page, base_url: str) -> None:
    from tests.support.fixtures import PASSWORD

    await page.get_by_label("E-post").fill("alice@example.org")
    await page.get_by_label("Lösenord").fill(PASSWORD)
    await page.get_by_role("button", name="Logga in").click()
    await page.wait_for_url(f"{base_url}/")
