"""Two workers of a pair editing one client in real Chromium: the second save gets the choice,
both values kept until chosen; and the same when the second edit was made offline and is
replayed from the phone's queue (web/static/js/client-edits.js)."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from server.accounts.sessions import scope_for
from server.accounts.tables import Pair
from server.casework.clients import update_client
from server.casework.tables import Client
from server.scope import CurrentUser
from tests.support.browser import PHONE, chromium
from tests.support.casework import make_client
from tests.support.fixtures import PASSWORD
from tests.support.live_server import live_server
from tests.test_offline_browser import (
    READ_STORE,
    go_offline,
    go_online,
    js,
    log_in,
    phone,
    queue_holds,
    ready_for_offline,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
async def jonttu(world):
    pair = await Pair.select(Pair.id).first()
    return await make_client(world.team_a, "Jonttu", pair["id"], phone="040 111", institution="Vantaan vankila")


async def _stored(client_id: int) -> dict:
    return (
        await Client.select(Client.phone, Client.status, Client.institution, Client.version)
        .where(Client.id == client_id)
        .first()
    )


async def _login(page, base_url: str, email: str) -> None:
    await page.goto(f"{base_url}/login")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("form[action='/login'] button[type=submit]")
    await page.wait_for_url(re.compile(r"/(\?.*)?$"))


async def test_the_second_save_gets_the_choice_and_nothing_is_lost(world, jonttu):
    async with live_server() as (base_url, _process), chromium() as browser:
        alice_phone = await browser.new_context(**PHONE, locale="fi-FI")
        bob_phone = await browser.new_context(**PHONE, locale="fi-FI")
        alice, bob = await alice_phone.new_page(), await bob_phone.new_page()
        await _login(alice, base_url, "alice@example.org")
        await _login(bob, base_url, "bob@example.org")
        for page in (alice, bob):
            await page.goto(f"{base_url}/clients/{jonttu}/edit")
        # Bob saves first: a new phone number and a new prison.
        await bob.fill("#phone", "050 222")
        await bob.fill("#institution", "Turun vankila")
        await bob.locator("form[data-client-edit-form] button[type=submit]").click()
        await bob.wait_for_url(re.compile(r"/clients/\d+\?saved=client"))
        # Alice's form still shows what she read: she changes the phone too, and the status.
        await alice.fill("#phone", "040 333")
        await alice.select_option("#status", "paused")
        await alice.locator("form[data-client-edit-form] button[type=submit]").click()
        choice = alice.locator("form.conflict-form")
        await choice.wait_for()
        phone_choice = alice.locator("#choice-phone")
        await expect(phone_choice).to_contain_text("040 333")
        await expect(phone_choice).to_contain_text("050 222")
        assert await _stored(jonttu) == {
            "phone": "050 222",
            "status": "active",
            "institution": "Turun vankila",
            "version": 2,
        }
        # Only Bob changed the prison: his stays chosen; only Alice the status: hers.
        await expect(alice.locator("#choice-institution input[value=theirs]")).to_be_checked()
        await expect(alice.locator("#choice-status input[value=mine]")).to_be_checked()
        await phone_choice.locator("input[value=theirs]").check()  # she keeps Bob's number after all
        await choice.locator("button[type=submit]").click()
        await alice.wait_for_url(re.compile(r"/clients/\d+\?saved=client"))
        assert await _stored(jonttu) == {
            "phone": "050 222",
            "status": "paused",
            "institution": "Turun vankila",
            "version": 3,
        }
        await alice_phone.close()
        await bob_phone.close()


async def test_an_offline_edit_that_meets_a_partners_save_waits_as_a_choice(world, jonttu):
    async with phone() as (net, context, page):
        await log_in(page, net)
        await ready_for_offline(page)
        await page.goto(f"{net.base_url}/clients/{jonttu}/edit")
        await page.locator("html[data-forms-ready]").wait_for(state="attached")
        await go_offline(net, context)
        await page.fill("#phone", "040 999")
        await page.locator("form[data-client-edit-form] button[type=submit]").click()
        await expect(page.locator("#client-queued")).to_be_visible()
        await queue_holds(page, 1)
        # Meanwhile Bob saves another number from the office.
        bob = CurrentUser(
            id=world.bob,
            email="bob@example.org",
            display_name="Bob",
            role="experience_expert",
            team_id=world.team_a,
            team_name=None,
            language="fi",
            session_id=0,
        )
        await update_client(await scope_for(bob), jonttu, {"phone": "050 888", "version": 1})

        await go_online(net, context)
        await page.goto(f"{net.base_url}/outbox")
        item = page.locator(".outbox-item")
        await expect(item).to_have_attribute("data-state", "needs_choice")
        await expect(item.locator("[data-state]")).to_have_text("Odottaa valintaa")
        assert len(await js(page, READ_STORE, ["outbox"])) == 1  # kept, not lost
        assert (await _stored(jonttu))["phone"] == "050 888"

        await item.locator("[data-fix]").click()
        phone_choice = page.locator("#choice-phone")
        await expect(phone_choice).to_contain_text("040 999")
        await expect(phone_choice).to_contain_text("050 888")
        await phone_choice.locator("input[value=mine]").check()
        await page.locator("form.conflict-form button[type=submit]").click()
        await page.wait_for_url(re.compile(r"/clients/\d+\?saved=client"))
        await queue_holds(page, 0)  # the choice is saved: the edit leaves the phone
        assert (await _stored(jonttu))["phone"] == "040 999"
