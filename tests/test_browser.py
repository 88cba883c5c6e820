"""A person on a phone: log in in Finnish, see today, switch to Swedish. Real Chromium, real server."""

import os
from pathlib import Path

import pytest

from tests.support.browser import PHONE, chromium
from tests.support.fixtures import PASSWORD
from tests.support.live_server import live_server

pytestmark = pytest.mark.anyio
SCREENSHOTS = os.environ.get("RINNALLA_SCREENSHOTS")


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
        await page.goto(f"{base_url}/login")
        await page.get_by_label("Sähköposti").fill("bob@example.org")
        await page.get_by_label("Salasana").fill(PASSWORD)
        await page.get_by_role("button", name="Kirjaudu sisään").click()
        await page.wait_for_url(f"{base_url}/")
        await page.get_by_role("link", name="Anonyymi kohtaaminen").click()          # tap 1
        await page.get_by_role("button", name="Tallenna kohtaaminen").click()         # tap 2
        await page.wait_for_url(f"{base_url}/?saved=visit")
        assert "Kohtaaminen tallennettu" in await page.locator("[role=status]").inner_text()
        await shot(page, "anonymous-saved-fi")
        await context.close()
    rows = await Visit.select(Visit.uuid, Visit.anonymous_count, Visit.client, Visit.kind)
    assert len(rows) == 1 and rows[0]["anonymous_count"] == 1 and rows[0]["client"] is None
    assert rows[0]["kind"] == "street"


async def test_a_double_tap_on_save_stores_one_visit_with_the_browsers_id(world):
    from server.casework.tables import Client, Visit

    pair_client = await Client.insert(Client(team=world.team_a, pseudonym="Make", started_on=__import__("datetime").date.today(),
                                             status_changed_on=__import__("datetime").date.today()))
    client_id = pair_client[0]["id"]
    async with live_server() as (base_url, _process), chromium() as browser:
        context = await browser.new_context(**PHONE, locale="fi-FI")
        page = await context.new_page()
        await page.goto(f"{base_url}/login")
        await page.get_by_label("Sähköposti").fill("alice@example.org")
        await page.get_by_label("Salasana").fill(PASSWORD)
        await page.get_by_role("button", name="Kirjaudu sisään").click()
        await page.wait_for_url(f"{base_url}/")
        await page.goto(f"{base_url}/visits/new?client_id={client_id}")
        await page.get_by_text("Asuminen", exact=True).click()
        await page.get_by_label("Muistiinpanot", exact=True).fill("Käytiin läpi asuntohakemus.")
        await shot(page, "visit-form-fi")
        # Two taps on Save before the first answer arrives.
        await page.evaluate("""() => { const b = document.querySelector('form[data-visit-form] button[type=submit]');
                                        b.click(); b.click(); }""")
        await page.wait_for_url(f"{base_url}/clients/{client_id}?saved=visit")
        await shot(page, "client-after-visit-fi")
        await context.close()
    rows = await Visit.select(Visit.uuid, Visit.notes)
    assert len(rows) == 1 and rows[0]["notes"] == "Käytiin läpi asuntohakemus."
