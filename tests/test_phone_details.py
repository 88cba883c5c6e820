"""Small things a worker meets on a phone: addresses that open, an anonymous contact logged in seconds,
a page that does not jump, charts a screen reader can enter, and buttons that say they are busy."""

from __future__ import annotations

import re
from datetime import UTC

import httpx
import pytest

from server.cli import default_base_url
from tests.support.fixtures import login, post_form
from tests.support.live_server import live_server

pytestmark = pytest.mark.anyio


def test_the_default_base_url_follows_the_served_address():
    assert default_base_url("127.0.0.1", 8123) == "http://localhost:8123"
    assert default_base_url("192.168.1.20", 9000) == "http://192.168.1.20:9000"
    lan = default_base_url("0.0.0.0", 8000)  # nosec B104 - the address a phone on the network can open
    assert lan.endswith(":8000") and "0.0.0.0" not in lan


async def test_serve_on_another_port_gives_a_calendar_address_that_opens(world):
    """`make run PORT=…` without BASE_URL: the .ics address shown once is on the served port and answers."""
    async with live_server({"LOG_FILE": ""}) as (base_url, _process):
        port = base_url.rsplit(":", 1)[1]
        async with httpx.AsyncClient(base_url=base_url) as http:
            assert (await login(http, "bob@example.org")).status_code == 303
            page = await post_form(http, "/settings/calendar")
            feed = re.search(r"(http://[^\"<\s]+/calendar/[^\"<\s]+\.ics)", page.text)
            assert feed, page.text[:2000]
            assert feed.group(1).startswith(f"http://localhost:{port}/calendar/")
            async with httpx.AsyncClient() as calendar_app:
                answer = await calendar_app.get(feed.group(1).replace("localhost", "127.0.0.1"))
            assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")


async def _phone_page(browser, base_url: str, email: str):
    from tests.support.browser import PHONE
    from tests.support.fixtures import PASSWORD

    context = await browser.new_context(**PHONE, locale="fi-FI")
    page = await context.new_page()
    await page.goto(f"{base_url}/login")
    await page.get_by_label("Sähköposti").fill(email)
    await page.get_by_label("Salasana").fill(PASSWORD)
    await page.get_by_role("button", name="Kirjaudu sisään").click()
    await page.wait_for_url(f"{base_url}/")
    return context, page


LAYOUT_SHIFT = """async () => {
  const shifts = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (!entry.hadRecentInput) shifts.push(entry.value);
  }).observe({type: "layout-shift", buffered: true});
  // What Chromium does when the app can be installed: the page's script shows the hint.
  const prompt = new Event("beforeinstallprompt");
  prompt.prompt = async () => ({outcome: "dismissed"});
  window.dispatchEvent(prompt);
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  await new Promise((done) => setTimeout(done, 300));  // layout-shift entries are queued, not synchronous
  return {hint: !document.getElementById("install-hint").hidden, shift: shifts.reduce((a, b) => a + b, 0)};
}"""


async def test_the_install_hint_does_not_move_the_home_page(world):
    from tests.support.browser import chromium

    async with live_server() as (base_url, _process), chromium() as browser:
        context, page = await _phone_page(browser, base_url, "alice@example.org")
        await page.wait_for_load_state("networkidle")
        result = await page.evaluate(LAYOUT_SHIFT)
        assert result["hint"], "the hint was not shown"
        assert result["shift"] == 0
        hint, nav = await page.locator("#install-hint").bounding_box(), await page.locator(".bottom-nav").bounding_box()
        assert hint["y"] + hint["height"] <= nav["y"]  # floats above the bottom bar, not under the thumb
        await context.close()


async def test_an_anonymous_contact_has_kind_and_place_before_the_save_button(world):
    from tests.support.browser import chromium

    async with live_server() as (base_url, _process), chromium() as browser:
        context, page = await _phone_page(browser, base_url, "alice@example.org")
        await page.goto(f"{base_url}/visits/new?anonymous=true")
        save = await page.get_by_role("button", name="Tallenna kohtaaminen").bounding_box()
        kind = await page.get_by_role("group", name="Kohtaamisen tyyppi").bounding_box()
        place = await page.get_by_label("Missä").bounding_box()
        assert kind["y"] < save["y"] and place["y"] < save["y"]
        assert await page.get_by_label("Missä").is_visible()
        await page.get_by_text("3", exact=True).click()
        await page.get_by_label("Missä").fill("Rautatientori")
        await page.get_by_role("button", name="Tallenna kohtaaminen").click()
        await page.wait_for_url(re.compile(r"/\?saved=visit$"))
        await context.close()


async def test_a_follow_up_tick_shows_it_is_busy_and_cannot_be_sent_twice(world):
    import asyncio
    from datetime import datetime, timedelta

    from server.accounts.tables import Pair
    from server.casework.tables import FollowUp
    from tests.support.browser import chromium
    from tests.support.casework import make_client

    pair = (await Pair.select(Pair.id).first())["id"]
    client_id = await make_client(world.team_a, "Kettu", pair)
    await FollowUp.insert(
        FollowUp(
            team=world.team_a,
            client=client_id,
            pair=pair,
            note="Soita Kelaan",
            due_at=datetime.now(UTC) - timedelta(hours=1),
        )
    )
    async with live_server() as (base_url, _process), chromium() as browser:
        context, page = await _phone_page(browser, base_url, "alice@example.org")
        release = asyncio.Event()
        posts: list[str] = []

        async def hold(route):
            posts.append(route.request.url)
            await release.wait()
            await route.continue_()

        await page.route("**/followups/*/done", hold)
        row = page.locator("li.followup").first
        await row.get_by_role("button", name="Merkitse tehdyksi").click()
        await page.wait_for_function("document.querySelector('li.followup').classList.contains('htmx-request')")
        assert await row.get_attribute("aria-busy") == "true"  # the row being replaced says it is busy
        assert await row.locator("form").get_attribute("aria-busy") == "true"
        assert await row.get_by_role("button", name="Merkitse tehdyksi").is_disabled()
        release.set()
        await page.locator("li.followup--done").wait_for()
        assert len(posts) == 1
        await context.close()


async def test_dashboard_charts_keep_their_links_reachable_and_pair_names_whole(world):
    from server.accounts.tables import User
    from tests.support.browser import chromium

    await User.update({User.display_name: "Aino-Maria Virtanen"}).where(User.email == "alice@example.org")
    await User.update({User.display_name: "Pekka Korhonen-Laine"}).where(User.email == "bob@example.org")
    async with live_server() as (base_url, _process), chromium() as browser:
        context, page = await _phone_page(browser, base_url, "lena@example.org")
        await page.goto(f"{base_url}/lead")
        # axe nested-interactive: an image role hides its children, so it must hold no links.
        nested = await page.evaluate("""() => [...document.querySelectorAll('[role=img]')].filter(
            (el) => el.querySelector('a[href], button, input, select, textarea, [tabindex]')).length""")
        assert nested == 0
        chart = page.locator("svg[aria-labelledby='caseload-title']")
        assert await chart.get_attribute("role") == "group"
        label = chart.locator("text", has_text="Aino-Maria Virtanen & Pekka Korhonen-Laine")
        assert await label.count() == 1
        box, frame = await label.bounding_box(), await chart.bounding_box()
        assert box["x"] >= frame["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"]
        link = chart.locator("a").first
        assert "Aino-Maria Virtanen & Pekka Korhonen-Laine" in (await link.get_attribute("aria-label"))
        await context.close()
