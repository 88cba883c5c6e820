"""A person on a phone: log in in Finnish, see today, switch to Swedish. Real Chromium, real server."""

import os
from pathlib import Path

import pytest

from tests.support.browser import PHONE, chromium
from tests.support.fixtures import PASSWORD
from tests.support.live_server import live_server

pytestmark = pytest.mark.anyio
SCREENSHOTS = os.environ.get("RINNALLA_SCREENSHOTS")


async def log_in(page, base_url: str, email: str) -> None:
    await page.goto(f"{base_url}/login")
    await page.get_by_label("Sähköposti").fill(email)
    await page.get_by_label("Salasana").fill(PASSWORD)
    await page.get_by_role("button", name="Kirjaudu sisään").click()
    await page.wait_for_url(f"{base_url}/")


async def shot(page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)


async def test_login_on_a_phone_in_finnish_then_switch_to_swedish(world):
    async with live_server() as (base_url, _process), chromium() as browser:
        context = await browser.new_context(**PHONE, locale="fi-FI")
        page = await context.new_page()
        csp_errors: list[str] = []
        page.on("console", lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None)

        await page.goto(f"{base_url}/")
        assert page.url.endswith("/login")
        assert await page.get_attribute("html", "lang") == "fi"
        await shot(page, "login-fi")
        await page.get_by_label("Sähköposti").fill("alice@example.org")
        await page.get_by_label("Salasana").fill(PASSWORD)
        await page.get_by_role("button", name="Kirjaudu sisään").click()
        await page.wait_for_url(f"{base_url}/")
        assert await page.get_by_role("heading", level=1).first.inner_text() != ""
        assert "Tänään" in await page.locator("h1").inner_text()
        nav = page.get_by_role("navigation")
        box = await nav.bounding_box()
        assert box["y"] + box["height"] <= 740 + 1  # the bottom navigation is within thumb reach
        await shot(page, "home-fi")

        await nav.get_by_role("link", name="Asetukset").click()
        await page.get_by_role("button", name="Svenska").click()
        await page.wait_for_load_state()
        assert await page.get_attribute("html", "lang") == "sv"
        assert "Inställningar" in await page.locator("h1").inner_text()
        await shot(page, "settings-sv")
        assert csp_errors == []
        await context.close()


async def test_the_login_form_works_without_javascript(world):
    async with live_server() as (base_url, _process), chromium() as browser:
        context = await browser.new_context(**PHONE, java_script_enabled=False, locale="sv-FI")
        page = await context.new_page()
        await page.goto(f"{base_url}/login")
        await page.get_by_label("E-post").fill("bob@example.org")
        await page.get_by_label("Lösenord").fill(PASSWORD)
        await page.get_by_role("button", name="Logga in").click()
        await page.wait_for_url(f"{base_url}/")
        assert await page.get_attribute("html", "lang") == "sv"
        await context.close()


async def test_an_anonymous_street_contact_takes_two_taps_from_home(world):
    from server.casework.tables import Visit

    async with live_server() as (base_url, _process), chromium() as browser:
        context = await browser.new_context(**PHONE, locale="fi-FI")
        page = await context.new_page()
        await log_in(page, base_url, "bob@example.org")
        await page.get_by_role("link", name="Anonyymi kohtaaminen").click()  # tap 1
        await page.get_by_role("button", name="Tallenna kohtaaminen").click()  # tap 2
        await page.wait_for_url(f"{base_url}/?saved=visit")
        assert "Kohtaaminen tallennettu" in await page.get_by_role("status").inner_text()
        await shot(page, "anonymous-saved-fi")
        await context.close()
    rows = await Visit.select(Visit.uuid, Visit.anonymous_count, Visit.client, Visit.kind)
    assert len(rows) == 1 and rows[0]["anonymous_count"] == 1 and rows[0]["client"] is None
    assert rows[0]["kind"] == "street"


async def test_the_browser_makes_the_visit_id_and_a_resend_stores_nothing_new(world):
    from datetime import date

    from server.casework.tables import Client, Visit

    rows = await Client.insert(
        Client(team=world.team_a, pseudonym="Make", started_on=date.today(), status_changed_on=date.today())
    )
    client_id = rows[0]["id"]
    async with live_server() as (base_url, _process), chromium() as browser:
        context = await browser.new_context(**PHONE, locale="fi-FI")
        page = await context.new_page()
        await log_in(page, base_url, "alice@example.org")
        await page.goto(f"{base_url}/visits/new?client_id={client_id}")
        assert await page.locator("input[name=id]").input_value() == ""  # never rendered by the server
        await page.get_by_text("Asuminen", exact=True).click()
        await page.get_by_label("Muistiinpanot", exact=True).fill("Käytiin läpi asuntohakemus.")
        await shot(page, "visit-form-fi")
        posts = []
        page.on("request", lambda r: posts.append(r) if r.method == "POST" and "/visits" in r.url else None)
        await page.get_by_role("button", name="Tallenna kohtaaminen").click()
        await page.wait_for_url(f"{base_url}/clients/{client_id}?saved=visit")
        await shot(page, "client-after-visit-fi")
        # With scripts the visit goes through the phone's queue to the API, as it would offline.
        assert [request.url for request in posts] == [f"{base_url}/api/v1/visits"]
        sent = posts[0].post_data_json
        assert len(sent["id"]) == 36
        # The same body sent again (a retry after a lost answer) finds the stored visit.
        again = await page.request.post(
            f"{base_url}/api/v1/visits",
            data=posts[0].post_data,
            headers={
                name: value
                for name, value in (await posts[0].all_headers()).items()
                if name in {"content-type", "x-csrftoken", "x-rinnalla-user"}
            },
        )
        assert again.status == 200
        await context.close()
    stored = await Visit.select(Visit.uuid, Visit.notes)
    assert len(stored) == 1 and str(stored[0]["uuid"]) == sent["id"]
    assert stored[0]["notes"] == "Käytiin läpi asuntohakemus."
