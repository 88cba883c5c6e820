"""Issue 19 (trust), the access items: no lockout by a stranger, no listing of other teams'
clients, leads within their teams, a lost phone that goes quiet, client links, cross-site reads.
Each test here failed on 0.3.0."""

from __future__ import annotations

import pytest

from server.casework.tables import AccessLog
from tests.support.casework import make_client
from tests.test_client_link import _link

pytestmark = pytest.mark.anyio


# --- 8: client links ---------------------------------------------------------------------------

async def test_a_client_link_page_keeps_its_no_referrer_policy(client, world):
    path, _client_id = await _link(client, world)
    page = await client.get(path)
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"
    assert (await client.get("/login")).headers["referrer-policy"] == "same-origin"


async def test_wrong_link_tokens_slow_the_address_but_a_right_token_gets_through(client, world):
    path, _client_id = await _link(client, world)
    for attempt in range(10):
        assert (await client.get(f"/r/{'x' * 43}{attempt}")).status_code == 404
    wrong = await client.get(f"/r/{'x' * 43}z")
    assert wrong.status_code == 429 and int(wrong.headers["retry-after"]) > 0
    # The client on the same shelter Wi-Fi opens their own link all the same.
    assert (await client.get(path)).status_code == 200


# --- 9: a cross-site navigation does not frame a worker -----------------------------------------

@pytest.mark.parametrize("path", ["/clients/{id}", "/clients/{id}/edit", "/api/v1/clients/{id}"])
async def test_a_cross_site_link_to_another_teams_client_leaves_no_denied_row_in_the_workers_name(
        client, world, path):
    from tests.support.fixtures import login

    client_id = await make_client(world.team_a, "Make")
    await login(client, "dave@example.org")
    # A page elsewhere links (or redirects) Dave's browser to team A's client: Dave did nothing.
    framed = await client.get(path.format(id=client_id), headers={"Sec-Fetch-Site": "cross-site",
                                                                   "Sec-Fetch-Mode": "navigate"})
    assert framed.status_code == 404 and "Make" not in framed.text
    assert await AccessLog.count() == 0
    # Dave himself trying (typed, or from a page of ours) is still refused and logged.
    tried = await client.get(path.format(id=client_id), headers={"Sec-Fetch-Site": "same-origin"})
    assert tried.status_code == 404
    rows = await AccessLog.select(AccessLog.user, AccessLog.outcome).where(AccessLog.client == client_id)
    assert rows == [{"user": world.dave, "outcome": "denied"}]


# --- 7: a lost phone goes quiet ------------------------------------------------------------------

async def test_logging_a_user_out_with_wipe_stops_their_calendar_feed(client, world):
    from server.accounts.services import log_out_everywhere
    from tests.support.fixtures import login, post_form

    await login(client, "alice@example.org")
    page = await post_form(client, "/settings/calendar")
    feed = "/calendar/" + page.text.split("/calendar/", 1)[1].split('"', 1)[0]
    client.cookies.clear()
    assert (await client.get(feed)).status_code == 200
    await log_out_everywhere("alice@example.org", wipe=True)  # rinnalla user logout --wipe
    assert (await client.get(feed)).status_code == 404


async def test_the_leads_wipe_stops_the_calendar_feed_too(client, world):
    from tests.support.fixtures import login, post_form

    await login(client, "alice@example.org")
    page = await post_form(client, "/settings/calendar")
    feed = "/calendar/" + page.text.split("/calendar/", 1)[1].split('"', 1)[0]
    client.cookies.clear()
    await login(client, "lena@example.org")
    await post_form(client, f"/team/members/{world.alice}/end-sessions", {"wipe": "1"})
    assert (await client.get(feed)).status_code == 404


async def test_a_wipe_reaches_a_phone_by_its_id_after_its_cookie_expired(client, world):
    import uuid

    from server.accounts.sessions import revoke_sessions
    from tests.support.casework import api
    from tests.support.fixtures import login

    phone_id, other_id = str(uuid.uuid4()), str(uuid.uuid4())
    await login(client, "alice@example.org")
    assert (await api(client, "POST", "/api/v1/device/key", {"device_id": phone_id})).status_code == 200
    client.cookies.delete("rinnalla_session")  # the cookie expired on the phone
    assert (await api(client, "POST", "/api/v1/device/wipe-check", {"device_id": phone_id})).status_code == 204
    await revoke_sessions(world.alice, wipe=True)  # the lead: "End sessions and wipe the phone"
    asked = await api(client, "POST", "/api/v1/device/wipe-check", {"device_id": phone_id})
    assert asked.status_code == 401 and asked.headers["x-rinnalla-wipe"] == "1"
    assert "storage" in asked.headers["clear-site-data"]
    other = await api(client, "POST", "/api/v1/device/wipe-check", {"device_id": other_id})
    assert other.status_code == 204 and "x-rinnalla-wipe" not in other.headers
    # Alice finds the phone and logs in on it again: it is hers and quiet no more.
    await login(client, "alice@example.org")
    assert (await api(client, "POST", "/api/v1/device/key", {"device_id": phone_id})).status_code == 200
    client.cookies.delete("rinnalla_session")
    assert (await api(client, "POST", "/api/v1/device/wipe-check", {"device_id": phone_id})).status_code == 204
