"""Offline queue and replay: §5 #10–16 of ../shared/research/security.md.

Already proven elsewhere, not repeated here:
- #10 (50 concurrent replays store one visit, 49 get the same body): tests/test_visits.py
  test_fifty_concurrent_replays_store_one_visit.
- #11 for a partner of the same team (409, nothing revealed): tests/test_visits.py
  test_another_users_visit_id_is_refused_and_reveals_nothing; a queue item carrying another
  user's id (x-rinnalla-user) is 401: tests/test_offline_server.py.
- #12 on the phone (the visit waits through an expired session and goes after the same user logs
  in; another user can neither see nor send it): tests/test_offline_browser.py
  test_visits_wait_through_an_expired_session_and_go_after_the_same_user_logs_in and
  test_another_user_on_the_same_phone_can_neither_see_nor_send_the_queue.
- #16 (logout asks first, keeps only ciphertext, the device key cannot be exported;
  `Clear-Site-Data: "cache"`; no name in storage): tests/test_offline_browser.py
  test_waiting_visits_are_sealed_on_the_phone, test_logging_out_asks_first_and_keeps_the_waiting_visit_sealed,
  tests/test_login.py test_logout_ends_the_session_on_the_server.
Here, #15 in a real browser: a queue item whose ciphertext was damaged.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest

from server.app import create_app
from server.casework.tables import Visit
from server.timeutil import utcnow
from tests.support.casework import api, make_client
from tests.support.fixtures import login, post_form
from tests.support.team_a import MARKER, changes, make_team_a, snapshot

pytestmark = pytest.mark.anyio


def _visit(client_id: int, **changes) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "client_id": client_id,
        "kind": "street",
        "notes": "Juteltiin",
        "occurred_at": (utcnow() - timedelta(hours=1)).isoformat(),
        **changes,
    }


async def test_another_teams_worker_replaying_a_captured_visit_learns_nothing(client, world):
    """#11: Dave replays Alice's captured body and key with his own session: refused, no echo."""
    team_a = await make_team_a(world)
    captured = {
        "id": team_a.visit,
        "client_id": team_a.client,
        "occurred_at": "2026-11-23T10:15:00+02:00",
        "kind": "street",
        "notes": "Kaapattu",
    }
    await login(client, "dave@example.org")
    before = await snapshot()
    for headers in ({}, {"x-rinnalla-user": str(world.dave)}):
        answer = await api(client, "POST", "/api/v1/visits", captured, headers=headers)
        assert answer.status_code in (404, 409, 422)
        assert MARKER not in answer.text
        assert "muistiinpano" not in answer.text and "kirjasto" not in answer.text
    # A fresh id with team A's client is the plain wall.
    fresh = await api(client, "POST", "/api/v1/visits", _visit(team_a.client))
    assert fresh.status_code == 404
    assert changes(before, await snapshot()) == {}


async def test_a_queue_item_sent_after_the_session_was_revoked_is_401_and_goes_after_login(client, world):
    """#12, server side: the revoked phone's send is 401 and stores nothing; after logging in
    again the same item is stored once."""
    team_a = await make_team_a(world)
    await login(client, "alice@example.org")
    item = _visit(team_a.client)
    token = client.cookies["csrftoken"]
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as lead:
        await login(lead, "lena@example.org")
        assert (await post_form(lead, f"/team/members/{world.alice}/end-sessions")).status_code == 303
    refused = await client.post(
        "/api/v1/visits", json=item, headers={"x-csrftoken": token, "x-rinnalla-user": str(world.alice)}
    )
    assert refused.status_code == 401
    assert await Visit.count() == 1  # only make_team_a's
    await login(client, "alice@example.org")
    sent = await api(client, "POST", "/api/v1/visits", item, headers={"x-rinnalla-user": str(world.alice)})
    again = await api(client, "POST", "/api/v1/visits", item, headers={"x-rinnalla-user": str(world.alice)})
    assert (sent.status_code, again.status_code) == (201, 200)
    assert await Visit.count() == 2


@pytest.mark.parametrize(
    "moment, accepted",
    [
        (timedelta(days=2), False),  # the future: a phone's clock or a forged time
        (timedelta(minutes=5), True),  # a phone clock a little fast is tolerated (FUTURE_TOLERANCE 10 min)
        (timedelta(days=-30), True),  # a month in the queue: kept with its own time
        (timedelta(days=-400), True),  # before the client's record was made: a street meeting written down later
    ],
)
async def test_a_queue_items_own_time_is_kept_beside_the_servers(client, world, moment, accepted):
    """#13, by the documented rule (server/casework/visits.py, README's API table): a visit in the
    future beyond 10 minutes is 422 and stores nothing; a past one is accepted with its own
    `occurred_at` and the server's `received_at` recorded separately, so history is never silently
    reordered: lists sort by when it happened and show when it arrived."""
    team_a = await make_team_a(world)
    await login(client, "alice@example.org")
    occurred = utcnow() + moment
    answer = await api(client, "POST", "/api/v1/visits", _visit(team_a.client, occurred_at=occurred.isoformat()))
    if not accepted:
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "occurred_at"
        assert await Visit.count() == 1
        return
    assert answer.status_code == 201
    stored = answer.json()
    assert abs(_parse(stored["occurred_at"]) - occurred) < timedelta(seconds=1)
    assert abs(_parse(stored["received_at"]) - utcnow()) < timedelta(minutes=1)


def _parse(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_a_csrf_token_of_an_old_session_is_refused_and_a_fresh_one_works_once(client, world):
    """#14: the token the queue held from before a new login does not work; the one fetched after it does."""
    team_a = await make_team_a(world)
    await login(client, "alice@example.org")
    old_token = client.cookies["csrftoken"]
    await post_form(client, "/logout")
    await login(client, "alice@example.org")
    item = _visit(team_a.client)
    stale = await client.post("/api/v1/visits", json=item, headers={"x-csrftoken": old_token})
    assert stale.status_code == 403
    assert await Visit.count() == 1
    fresh_token = (await client.get("/api/v1/device/session")).json()["csrf_token"]
    assert fresh_token != old_token
    first = await client.post("/api/v1/visits", json=item, headers={"x-csrftoken": fresh_token})
    again = await client.post("/api/v1/visits", json=item, headers={"x-csrftoken": fresh_token})
    assert (first.status_code, again.status_code) == (201, 200) and await Visit.count() == 2


# -- #15: a damaged queue item ----------------------------------------------------------------------------

# Flips one byte of the first waiting visit's ciphertext, in the phone's own IndexedDB.
FLIP_A_BYTE = """async () => {
  const db = await new Promise((r) => { const q = indexedDB.open("rinnalla"); q.onsuccess = () => r(q.result); });
  const [row] = await new Promise((r) => { const q = db.transaction("outbox").objectStore("outbox").getAll(); q.onsuccess = () => r(q.result); });
  const bytes = new Uint8Array(row.sealed.data.slice(0));
  bytes[bytes.length >> 1] ^= 0x01;
  row.sealed.data = bytes.buffer;
  await new Promise((r) => { const t = db.transaction("outbox", "readwrite"); t.objectStore("outbox").put(row); t.oncomplete = r; });
  db.close();
  return row.id;
}"""

ITEM_STATES = """async () => {
  const db = await new Promise((r) => { const q = indexedDB.open("rinnalla"); q.onsuccess = () => r(q.result); });
  const rows = await new Promise((r) => { const q = db.transaction("outbox").objectStore("outbox").getAll(); q.onsuccess = () => r(q.result); });
  db.close();
  return rows.map((row) => row.state);
}"""


async def test_a_tampered_queue_item_is_kept_and_flagged_never_sent(world):
    """#15 (tests/test_offline_browser.py seals the queue but never damages it): one flipped byte
    fails AES-GCM; the visit is marked "sealed", kept and shown, never sent as garbage, and coming
    online again does not loop on it."""
    from server.accounts.tables import Pair
    from tests.test_offline_browser import (
        VISITS,
        expect_waiting,
        go_offline,
        go_online,
        js,
        log_visit,
        offline_after_login,
        phone,
    )

    pair = await Pair.select(Pair.id).first()
    await make_client(world.team_a, "Make", pair["id"])
    async with phone() as (net, context, page):
        await offline_after_login(page, net, context)
        await log_visit(page, net, "Make", notes="Juteltiin")
        await expect_waiting(page, 1)
        await js(page, FLIP_A_BYTE)
        await go_online(net, context)
        await page.locator("#outbox-status.outbox-status--alert").wait_for()  # needs attention, not sending
        assert await js(page, ITEM_STATES) == ["sealed"]
        for _ in range(2):  # the network comes and goes: still nothing sent
            await go_offline(net, context)
            await go_online(net, context)
            await page.reload()
            await page.locator("#outbox-status.outbox-status--alert").wait_for()
        assert await js(page, ITEM_STATES) == ["sealed"]
        assert net.requests_seen("POST", VISITS) == 0
    assert await Visit.count() == 0
