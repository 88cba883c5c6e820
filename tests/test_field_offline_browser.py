"""The pair in the field, in a real Chromium at 360x740 behind a switchable network: the day's
copy shown with no network (and gone after logout), the queue managed by hand, another user's
entries counted without content, a referral from the directory made offline once, a push that
wakes the phone, and the pair named on the client's timeline."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta

import pytest
from playwright.async_api import expect

from server.accounts.tables import Pair, UserSession
from server.casework.tables import Appointment, FollowUp, Visit
from server.services.tables import Referral, Service
from server.timeutil import local_day_bounds, local_today, utcnow
from tests.support.casework import make_client
from tests.test_offline_browser import (
    READ_STORE,
    expect_waiting,
    go_offline,
    go_online,
    js,
    log_in,
    log_visit,
    offline_after_login,
    phone,
    queue_holds,
    ready_for_offline,
    visits_of,
)
from tests.test_push_browser import _registration_id

pytestmark = pytest.mark.anyio
REFERRALS = "/api/v1/referrals"

# The phone's state rows' keys (what is kept besides the queue and the keys).
STATE_KEYS = """async () => {
  const db = await new Promise((r) => { const q = indexedDB.open("rinnalla"); q.onsuccess = () => r(q.result); });
  return new Promise((r) => { const q = db.transaction("state").objectStore("state").getAllKeys(); q.onsuccess = () => r(q.result); });
}"""

# The sealed copy's bytes as stored (must not show what it holds).
SEALED_COPY = """async () => {
  const db = await new Promise((r) => { const q = indexedDB.open("rinnalla"); q.onsuccess = () => r(q.result); });
  const row = await new Promise((r) => { const q = db.transaction("state").objectStore("state").get("fieldCopy"); q.onsuccess = () => r(q.result); });
  return row ? Array.from(new Uint8Array(row.sealed.data)) : null;
}"""


@pytest.fixture
async def make(world):
    """The pair's client with a phone, a release in five days, an appointment tonight and an
    overdue follow-up."""
    pair = (await Pair.select(Pair.id).first())["id"]
    client = await make_client(
        world.team_a,
        "Make",
        pair,
        phone="040 123 4567",
        release_date=local_today() + timedelta(days=5),
        institution="Vantaan vankila",
    )
    start, end = local_day_bounds(local_today())
    await Appointment.insert(
        Appointment(
            team=world.team_a,
            client=client,
            pair=pair,
            starts_at=end - timedelta(minutes=30),
            place="Kirjaston kahvila",
            with_whom="Kelan virkailija",
        )
    )
    await FollowUp.insert(
        FollowUp(
            team=world.team_a,
            client=client,
            pair=pair,
            due_at=start - timedelta(hours=12),
            note="Soita asumisneuvojalle",
        )
    )
    return client


async def copy_ready(page) -> None:
    await ready_for_offline(page)
    await page.locator("html[data-field-copy-kept]").wait_for(state="attached")


async def test_today_the_caseload_and_a_client_card_open_from_the_sealed_copy_and_go_at_logout(world, make):
    async with phone() as (net, context, page):
        await log_in(page, net)
        await copy_ready(page)
        sealed = bytes(await js(page, SEALED_COPY))
        assert b"040 123" not in sealed and b"Make" not in sealed and b"Soita" not in sealed
        await go_offline(net, context)

        await page.goto(f"{net.base_url}/")
        await page.locator("html[data-field-copy-shown]").wait_for(state="attached")
        await expect(page.locator("#copy-stamp")).to_contain_text(re.compile(r"tilanne klo \d{2}\.\d{2}"))
        releases = page.locator("[data-list=releases] li")
        await expect(releases).to_have_count(1)
        await expect(releases).to_contain_text("Make")
        await expect(releases).to_contain_text("5 päivää")
        await expect(releases).to_contain_text("Vantaan vankila")
        await expect(page.locator("[data-list=followups] li")).to_contain_text("Soita asumisneuvojalle")
        await expect(page.locator("[data-list=followups] .badge--alert")).to_have_text("myöhässä")
        appointment = page.locator("[data-list=appointments] li")
        await expect(appointment).to_contain_text("Kelan virkailija")
        await expect(appointment).to_contain_text("23.30")
        assert await js(page, "document.documentElement.scrollWidth") <= 360

        await page.locator("nav.bottom-nav a[href='/clients']").click()
        await page.wait_for_url(re.compile(r"/clients$"))
        row = page.locator("[data-list=clients] li")
        await expect(row).to_contain_text("040 123 4567")
        await expect(row).to_contain_text("1 avoin seuranta")
        await row.locator("a").click()
        await page.wait_for_url(re.compile(rf"/clients/{make}$"))
        await expect(page.locator("h1")).to_have_text("Make")
        await expect(page.locator("[data-phone]")).to_have_text("040 123 4567")
        assert await page.locator("[data-call]").get_attribute("href") == "tel:0401234567"
        await expect(page.locator("[data-release-days]")).to_have_text("Vapautuu 5 päivän päästä")
        await expect(page.locator("[data-next]")).to_contain_text("Kirjaston kahvila")
        await expect(page.locator("[data-list=client-followups]")).to_contain_text("Soita asumisneuvojalle")
        assert await page.locator("[data-log-visit]").get_attribute("href") == f"/visits/new?client_id={make}"

        await go_online(net, context)
        await page.goto(f"{net.base_url}/settings")
        await page.locator("form[data-logout-form] button").click()
        await page.wait_for_url(re.compile("/login"))
        await page.locator("html[data-forms-ready]").wait_for(state="attached")  # the login page's script ran
        assert "fieldCopy" not in await js(page, STATE_KEYS)
        await go_offline(net, context)
        for path in ("/", "/clients", f"/clients/{make}"):
            await page.goto(f"{net.base_url}{path}")
            await expect(page.locator("#copy-missing")).to_be_visible()
            text = await page.locator("main").inner_text()
            assert "Make" not in text and "040" not in text and "Soita" not in text


async def test_a_waiting_visit_is_opened_edited_or_deleted_before_it_is_sent(world, make):
    async with phone() as (net, context, page):
        await offline_after_login(page, net, context)
        await log_visit(page, net, "Make", place="Vanha paikka")
        await page.locator("#visit-queued").wait_for()
        await log_visit(page, net, "Make", place="Turha")
        await page.locator("#visit-queued").wait_for()
        await expect_waiting(page, 2)

        await page.goto(f"{net.base_url}/outbox")
        items = page.locator(".outbox-item")
        await expect(items).to_have_count(2)
        dialogs: asyncio.Queue = asyncio.Queue()
        page.on("dialog", dialogs.put_nowait)
        click = asyncio.create_task(items.nth(1).locator("[data-delete]").click())
        await (await asyncio.wait_for(dialogs.get(), 10)).accept()
        await click
        await expect(items).to_have_count(1)

        await items.first.locator("[data-edit]").click()  # no network: kept back until saved
        await page.wait_for_url(re.compile(r"/visits/new\?draft="))
        await expect(page.locator("#visit-queued")).to_contain_text("verkko")
        await go_online(net, context)  # the session opens it; the old version is not sent
        details = page.locator("details.add-form")
        await expect(page.locator("#place")).to_have_value("Vanha paikka")
        if await details.get_attribute("open") is None:
            await details.locator("summary").click()
        await page.fill("#place", "Uusi paikka")
        await page.locator("form[data-visit-form] button[type=submit]").click()
        await page.wait_for_url(re.compile(r"/clients/\d+\?saved=visit"))
        assert [v["place"] for v in await visits_of(world.alice)] == ["Uusi paikka"]
        assert net.requests_seen("POST", "/api/v1/visits") == 1
        await expect(page.locator("[data-present]").first).to_contain_text("Alice, Bob")  # the pair was there
        assert await js(page, READ_STORE, ["outbox"]) == []


async def test_another_users_waiting_entries_show_only_as_a_count(world, make):
    async with phone() as (net, context, page):
        await log_in(page, net)
        await copy_ready(page)
        await go_offline(net, context)
        for place in ("Yksi", "Kaksi"):
            await log_visit(page, net, "Make", place=place)
            await page.locator("#visit-queued").wait_for()
        await expect_waiting(page, 2)
        assert "fieldCopy" in await js(page, STATE_KEYS)
        await UserSession.update({UserSession.revoked_at: utcnow()}).where(UserSession.user == world.alice)
        await go_online(net, context)
        await page.goto(f"{net.base_url}/login")
        await page.locator("html[data-forms-ready]").wait_for(state="attached")
        assert "fieldCopy" not in await js(page, STATE_KEYS)  # her session ended: her day's copy went
        await log_in(page, net, "bob@example.org")
        await ready_for_offline(page)
        await page.goto(f"{net.base_url}/outbox")
        notice = page.locator("#outbox-others")
        await expect(notice).to_have_text(re.compile("^2 toisen käyttäjän kirjausta odottaa"))
        assert await page.locator(".outbox-item").count() == 0
        assert "Make" not in await page.locator("main").inner_text()
        await page.goto(f"{net.base_url}/settings")
        async with page.expect_navigation():
            await page.locator("form.lang-switch button[value=sv]").click()
        await page.goto(f"{net.base_url}/outbox")
        await expect(notice).to_have_text(re.compile("^2 registreringar av en annan användare väntar"))


async def test_a_referral_from_the_directory_made_offline_reaches_the_server_once(world, make):
    service = (
        await Service.insert(
            Service(name_fi="Asumisneuvonta Kallio", category="housing", phone="09 310 1234")
        ).returning(Service.id)
    )[0]["id"]
    async with phone() as (net, context, page):
        await offline_after_login(page, net, context)
        await page.goto(f"{net.base_url}/services")
        card = page.locator(f"#service-{service}")
        await card.get_by_role("link", name="Ohjaa asiakas tähän").click()
        await page.wait_for_url(re.compile(rf"/services/{service}/refer$"))
        await page.locator("html[data-referral-ready]").wait_for(state="attached")
        await expect(page.locator("#service_id option:checked")).to_have_text("Asumisneuvonta Kallio")
        await page.select_option("#client_id", label="Make")
        await page.fill("#note", "Jonoon maanantaina")
        await page.get_by_role("button", name="Ohjaa").click()
        await expect(page.locator("#visit-queued")).to_contain_text("Ei verkkoa")
        await expect_waiting(page, 1)
        await page.goto(f"{net.base_url}/outbox")
        await expect(page.locator(".outbox-item")).to_contain_text("Ohjaus: Asumisneuvonta Kallio")
        assert await Referral.count() == 0

        net.cut_response_once(REFERRALS)  # made on the server, the answer lost: sent again
        await go_online(net, context)
        await net.wait_cut()
        # The person taps "Send now" rather than wait for the next automatic try (its timing is
        # the browser's); drains take turns, so the referral still goes once more, not twice.
        await page.locator("#outbox-send").click()
        await expect_waiting(page, 0)
        rows = await Referral.select(Referral.client, Referral.service, Referral.note, Referral.uuid)
        assert len(rows) == 1 and rows[0]["client"] == make and rows[0]["service"] == service
        assert rows[0]["note"] == "Jonoon maanantaina" and rows[0]["uuid"] is not None
        assert net.requests_seen("POST", REFERRALS) == 2


async def test_a_referral_from_a_service_card_online_lands_on_the_clients_page(world, make):
    service = (
        await Service.insert(
            Service(name_fi="Asumisneuvonta Kallio", category="housing", phone="09 310 1234")
        ).returning(Service.id)
    )[0]["id"]
    async with phone() as (net, context, page):
        await log_in(page, net)
        await ready_for_offline(page)
        await page.goto(f"{net.base_url}/services/{service}")
        await page.get_by_role("link", name="Ohjaa asiakas tähän").click()
        await page.locator("html[data-referral-ready]").wait_for(state="attached")
        await page.select_option("#client_id", label="Make")
        await page.get_by_role("button", name="Ohjaa").click()
        await page.wait_for_url(re.compile(rf"/clients/{make}\?saved=referral"))
        await expect(page.locator("#referrals + .card")).to_contain_text("Asumisneuvonta Kallio")
        assert await Referral.count() == 1 and net.requests_seen("POST", REFERRALS) == 1


# Puts a visit in the queue with the app's own modules, without asking for Background Sync (so
# only the push can send it while no page of the app is open).
ENQUEUE = """async ([clientId, place]) => {
  const base = document.querySelector("script[type=module]").src.replace("js/app.js", "");
  const { enqueue } = await import(base + "js/outbox.js");
  const { keysOf } = await import(base + "js/seal.js");
  const { queueUser } = await import(base + "js/session.js");
  const user = await queueUser();
  await enqueue(user, await keysOf(user), { id: crypto.randomUUID(), client_id: String(clientId), place,
    occurred_at: new Date().toISOString().slice(0, 16), kind: "street", themes: [], actions: [], workers: [],
    together_with_client: false });
  return true;
}"""

COPY_FETCHED_AT = """async () => {
  const db = await new Promise((r) => { const q = indexedDB.open("rinnalla"); q.onsuccess = () => r(q.result); });
  const row = await new Promise((r) => { const q = db.transaction("state").objectStore("state").get("fieldCopy"); q.onsuccess = () => r(q.result); });
  return row ? row.fetched_at : null;
}"""


async def eventually(check, timeout: float = 20.0) -> None:
    """Waits for the server's database to show what a background worker did (no event to await)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_a_push_sends_the_waiting_queue_and_refreshes_the_copy(world, make):
    async with phone() as (net, context, page):
        await context.grant_permissions(["notifications"], origin=net.base_url)
        await log_in(page, net)
        await copy_ready(page)
        kept_at = await js(page, COPY_FETCHED_AT)
        await go_offline(net, context)
        await js(page, ENQUEUE, [make, "Kellari"])
        await queue_holds(page, 1)
        blank = await context.new_page()  # a page of no app: nothing there sends the queue
        cdp = await context.new_cdp_session(blank)
        registration_task = asyncio.create_task(_registration_id(cdp))
        await page.close()
        registration = await registration_task
        await go_online(net, context)
        assert await Visit.count() == 0
        copies_before = net.requests_seen("GET", "/api/v1/device/today")
        await cdp.send(
            "ServiceWorker.deliverPushMessage",
            {
                "origin": net.base_url,
                "registrationId": registration,
                "data": json.dumps({"title": "Rinnalla", "tag": "r1"}),
            },
        )

        async def sent() -> bool:
            return await Visit.count() == 1

        await eventually(sent)
        assert [v["place"] for v in await visits_of(world.alice)] == ["Kellari"]
        assert net.requests_seen("GET", "/api/v1/device/today") == copies_before + 1  # taken before sending
        page = await context.new_page()
        await page.goto(f"{net.base_url}/outbox")
        await queue_holds(page, 0)
        assert await js(page, COPY_FETCHED_AT) > kept_at


# The session's end as the phone keeps it with the copy, moved to the past.
COPY_SESSION_OVER = """async () => {
  const db = await new Promise((r) => { const q = indexedDB.open("rinnalla"); q.onsuccess = () => r(q.result); });
  const store = () => db.transaction("state", "readwrite").objectStore("state");
  const row = await new Promise((r) => { const q = store().get("fieldCopy"); q.onsuccess = () => r(q.result); });
  row.until = Date.now() - 1000;
  await new Promise((r) => { const q = store().put(row, "fieldCopy"); q.onsuccess = () => r(true); });
  return true;
}"""


async def test_the_copy_no_longer_opens_once_its_session_is_over_even_offline(world, make):
    async with phone() as (net, context, page):
        await log_in(page, net)
        await copy_ready(page)
        await go_offline(net, context)
        await page.goto(f"{net.base_url}/")
        await page.locator("html[data-field-copy-shown]").wait_for(state="attached")
        await js(page, COPY_SESSION_OVER)
        await page.goto(f"{net.base_url}/clients")
        await expect(page.locator("#copy-missing")).to_be_visible()
        assert "040 123" not in await page.locator("main").inner_text()
        assert "fieldCopy" not in await js(page, STATE_KEYS)
