"""Web Push end to end on loopback: the key, subscriptions (and the SSRF wall), the dispatcher
against a push service that checks the VAPID JWT and decrypts what the phone would show."""

from __future__ import annotations

import base64
from datetime import timedelta

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from server.push.dispatcher import dispatch_due
from server.push.tables import PushSubscription, Reminder, ReminderDelivery
from server.push.vapid import public_key
from server.timeutil import utcnow
from tests.support.casework import api, make_client
from tests.support.fixtures import login

pytestmark = pytest.mark.anyio


async def _as(client, email: str):
    response = await login(client, email)
    assert response.status_code in (302, 303), response.text
    return client


async def _subscribe(client, phone) -> int:
    response = await api(client, "POST", "/api/v1/push/subscriptions", phone.subscription())
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def _time_passes(**where) -> None:
    """Make the chosen pending reminders due now (as if the clock had reached them)."""
    condition = Reminder.state == "pending"
    for name, value in where.items():
        condition &= getattr(Reminder, name) == value
    await Reminder.update({Reminder.next_attempt_at: utcnow() - timedelta(seconds=1)}).where(condition)


async def _pair_reminder(world, kind: str = "followup", **extra) -> int:
    client_id = await make_client(world.team_a, "Kettu", pair_id=await _pair_id())
    now = utcnow()
    rows = await Reminder.insert(
        Reminder(
            dedupe_key=f"test-{kind}-{client_id}",
            kind=kind,
            audience="pair",
            team=world.team_a,
            client=client_id,
            event_at=extra.pop("event_at", now + timedelta(hours=3)),
            due_at=now,
            next_attempt_at=now,
            **extra,
        )
    ).returning(Reminder.id)
    return rows[0]["id"]


async def _pair_id() -> int:
    from server.accounts.tables import Pair

    return (await Pair.select(Pair.id).first())["id"]


# -- the key and the subscriptions --------------------------------------------------------------


async def test_the_public_key_is_a_p256_point_kept_across_restarts(client, world):
    response = await client.get("/api/v1/push/key")
    assert response.status_code == 200
    key = response.json()["public_key"]
    raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)  # a real point, or this raises
    public_key.cache_clear()
    from server.push.vapid import server_key

    server_key.cache_clear()
    assert (await client.get("/api/v1/push/key")).json()["public_key"] == key  # read back from DATA_DIR


async def test_a_phone_subscribes_once_and_is_refreshed_not_doubled(client, world, push_service):
    await _as(client, "alice@example.org")
    phone = push_service.phone()
    first = await api(
        client,
        "POST",
        "/api/v1/push/subscriptions",
        phone.subscription(),
        headers={"user-agent": "Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile Safari/537.36"},
    )
    again = await api(client, "POST", "/api/v1/push/subscriptions", phone.subscription())
    assert (first.status_code, again.status_code) == (201, 200)
    devices = (await client.get("/api/v1/push/subscriptions")).json()["items"]
    assert [d["device"] for d in devices] == ["Chrome, Android"]
    assert await PushSubscription.count() == 1


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://10.0.0.5/push/x",
        "https://localhost/push",
        "https://fcm.googleapis.com.evil.example/x",
        "https://evilpush.apple.com.example/x",
        "https://user:pw@fcm.googleapis.com/fcm/send/x",
        "http://fcm.googleapis.com/fcm/send/x",  # plain http to a real service
        "ftp://fcm.googleapis.com/x",
        "https://push.apple.com/x",  # the bare suffix is not a subdomain
        "https://evil.example/.push.apple.com/",
        "https://evil.example/?h=fcm.googleapis.com",  # the host counts
        "https://fcm.googleapis.com@evil.example/x",
    ],
)
async def test_endpoints_outside_the_known_push_services_are_refused(client, world, push_service, endpoint):
    await _as(client, "alice@example.org")
    body = {**push_service.phone().subscription(), "endpoint": endpoint}
    response = await api(client, "POST", "/api/v1/push/subscriptions", body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["endpoint"]
    assert await PushSubscription.count() == 0


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc",
        "https://web.push.apple.com/QGx",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAA",
        "https://wns2-db5p.notify.windows.com/w/?token=BQY",
    ],
)
async def test_the_known_push_services_are_accepted(client, world, push_service, endpoint):
    await _as(client, "alice@example.org")
    body = {**push_service.phone().subscription(), "endpoint": endpoint}
    assert (await api(client, "POST", "/api/v1/push/subscriptions", body)).status_code == 201


async def test_broken_keys_are_field_errors(client, world, push_service):
    await _as(client, "alice@example.org")
    body = push_service.phone().subscription()
    body["keys"] = {"p256dh": "BAAA", "auth": "!!"}
    response = await api(client, "POST", "/api/v1/push/subscriptions", body)
    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json()["errors"]) == ["keys.auth", "keys.p256dh"]


async def test_subscribing_needs_the_csrf_token_and_a_login(client, world, push_service):
    body = push_service.phone().subscription()
    assert (await client.post("/api/v1/push/subscriptions", json=body)).status_code in (401, 403)
    await _as(client, "alice@example.org")
    assert (await client.post("/api/v1/push/subscriptions", json=body)).status_code == 403
    assert await PushSubscription.count() == 0


async def test_a_worker_removes_a_phone_and_only_their_own(client, world, push_service):
    await _as(client, "alice@example.org")
    alices = await _subscribe(client, push_service.phone())
    client.cookies.clear()  # another phone, Alice still logged in on hers
    await _as(client, "dave@example.org")
    assert (await api(client, "DELETE", f"/api/v1/push/subscriptions/{alices}")).status_code == 404
    assert await PushSubscription.count() == 1


# -- sending ------------------------------------------------------------------------------------


async def test_a_test_push_arrives_signed_encrypted_and_says_nothing_private(client, world, push_service):
    await _as(client, "alice@example.org")
    phone = push_service.phone()
    await _subscribe(client, phone)
    response = await api(client, "POST", "/api/v1/push/test")
    assert response.json() == {"devices": 1}
    [delivery] = push_service.to(phone)
    assert push_service.problems == []
    assert delivery.payload["title"] == "Rinnalla"
    assert delivery.payload["body"] == "Ilmoitukset toimivat tässä puhelimessa."  # Alice reads Finnish
    assert delivery.payload["url"].startswith("/settings")
    assert delivery.ttl > 0 and delivery.urgency == "high" and delivery.topic.startswith("r")
    assert delivery.claims["sub"].startswith(("mailto:", "https:"))


async def test_a_pair_reminder_reaches_both_partners_phones_in_their_languages(client, world, push_service):
    from server.accounts.tables import User

    await User.update({User.language: "sv"}).where(User.id == world.bob)
    alice_phone, bob_phone, dave_phone = push_service.phone(), push_service.phone(), push_service.phone()
    await _as(client, "alice@example.org")
    await _subscribe(client, alice_phone)
    for email, phone in (("bob@example.org", bob_phone), ("dave@example.org", dave_phone)):
        client.cookies.clear()
        await _as(client, email)
        await _subscribe(client, phone)
    reminder_id = await _pair_reminder(world)
    tally = await dispatch_due()
    assert (tally.sent, tally.deliveries) == (1, 2)
    assert push_service.to(dave_phone) == []  # another team's worker
    assert push_service.to(alice_phone)[0].payload["body"] == "Seuranta erääntyy. Avaa Rinnalla."
    assert push_service.to(bob_phone)[0].payload["body"] == "En uppföljning förfaller. Öppna Rinnalla."
    for delivery in push_service.delivered:
        assert "Kettu" not in str(delivery.payload)
        assert delivery.payload["tag"] == f"r{reminder_id}" and delivery.topic == f"r{reminder_id}"
    row = await Reminder.select(Reminder.state, Reminder.devices).where(Reminder.id == reminder_id).first()
    assert row == {"state": "sent", "devices": 2}
    assert await dispatch_due() and len(push_service.delivered) == 2  # nothing is sent twice


async def test_a_gone_subscription_is_deleted(client, world, push_service):
    await _as(client, "alice@example.org")
    gone, alive = push_service.phone(410), push_service.phone()
    await _subscribe(client, gone)
    await _subscribe(client, alive)
    await _pair_reminder(world)
    await dispatch_due()
    assert [row["endpoint"] for row in await PushSubscription.select(PushSubscription.endpoint)] == [alive.endpoint]
    assert len(push_service.to(alive)) == 1


async def test_429_waits_as_long_as_retry_after_says_and_retries_only_the_phone_that_missed(
    client, world, push_service
):
    await _as(client, "alice@example.org")
    busy, fine = push_service.phone((429, {"Retry-After": "600"})), push_service.phone()
    await _subscribe(client, busy)
    await _subscribe(client, fine)
    reminder_id = await _pair_reminder(world)
    before = utcnow()
    tally = await dispatch_due()
    assert tally.retried == 1
    row = await Reminder.select().where(Reminder.id == reminder_id).first()
    assert row["state"] == "pending" and row["attempts"] == 1 and row["devices"] == 1
    assert row["next_attempt_at"] >= before + timedelta(seconds=599)
    assert (await dispatch_due()).claimed == 0  # not before its time
    await _time_passes(id=reminder_id)
    await dispatch_due()
    assert (len(push_service.to(busy)), len(push_service.to(fine))) == (1, 1)
    row = await Reminder.select(Reminder.state, Reminder.devices).where(Reminder.id == reminder_id).first()
    assert row == {"state": "sent", "devices": 2}
    assert await ReminderDelivery.count() == 2


async def test_server_errors_back_off_and_a_reminder_never_goes_after_its_event(
    client, world, push_service, monkeypatch
):
    from server.push import dispatcher

    monkeypatch.setattr(dispatcher.random, "uniform", lambda low, high: high)  # the longest backoff
    await _as(client, "alice@example.org")
    await _subscribe(client, push_service.phone(500, 503, 502, 500))
    reminder_id = await _pair_reminder(world, event_at=utcnow() + timedelta(minutes=2))
    waits = []
    for _ in range(3):
        before = utcnow()
        await dispatch_due()
        row = await Reminder.select().where(Reminder.id == reminder_id).first()
        if row["state"] != "pending":
            break
        waits.append(round((row["next_attempt_at"] - before).total_seconds()))
        await _time_passes(id=reminder_id)
    # 30 s, then 60 s; the third wait (120 s) would reach past the event: it gives up instead.
    assert waits == [30, 60]
    assert row["state"] == "failed" and row["last_error"].startswith("gave up")
    assert push_service.delivered == []


async def test_a_batch_whose_reminders_all_expired_is_settled_without_sending(world, push_service):
    reminder_id = await _pair_reminder(world, event_at=utcnow() - timedelta(seconds=5))
    tally = await dispatch_due()
    assert (tally.claimed, tally.expired) == (1, 1)
    assert (await Reminder.select(Reminder.state).where(Reminder.id == reminder_id).first())["state"] == "expired"


async def test_a_dispatcher_whose_lease_ran_out_cannot_overwrite_the_next_ones_outcome(client, world, push_service):
    from server.push import dispatcher

    await _as(client, "alice@example.org")
    await _subscribe(client, push_service.phone())
    reminder_id = await _pair_reminder(world)
    late = await dispatcher.claim("slow-one")  # claimed, then stalled past its lease
    await Reminder.update({Reminder.locked_until: utcnow() - timedelta(seconds=1)}).where(Reminder.id == reminder_id)
    await dispatch_due()  # another dispatcher takes it over and sends it
    await dispatcher._record(late, [], utcnow(), dispatcher.Round(), "slow-one")  # the stalled one wakes up
    row = await Reminder.select(Reminder.state, Reminder.devices).where(Reminder.id == reminder_id).first()
    assert row == {"state": "sent", "devices": 1} and len(push_service.delivered) == 1


async def test_a_reminder_cancelled_while_being_sent_stays_cancelled(client, world, push_service):
    from server.push import dispatcher

    reminder_id = await _pair_reminder(world)
    claimed = await dispatcher.claim("mine")
    await Reminder.update({Reminder.state: "cancelled"}).where(Reminder.id == reminder_id)  # the planner's doing
    await dispatcher._record(claimed, [], utcnow(), dispatcher.Round(), "mine")
    assert (await Reminder.select(Reminder.state).where(Reminder.id == reminder_id).first())["state"] == "cancelled"


async def test_a_reminder_without_any_phone_is_recorded_as_such(world, push_service):
    reminder_id = await _pair_reminder(world)
    tally = await dispatch_due()
    assert tally.no_device == 1
    assert (await Reminder.select(Reminder.state).where(Reminder.id == reminder_id).first())["state"] == "no_device"


async def test_a_disabled_worker_gets_nothing(client, world, push_service):
    from server.accounts.tables import User

    await _as(client, "alice@example.org")
    phone = push_service.phone()
    await _subscribe(client, phone)
    await User.update({User.is_active: False}).where(User.id == world.alice)
    await _pair_reminder(world)
    await dispatch_due()
    assert push_service.delivered == []


async def test_settled_reminders_are_purged_after_their_time_and_pending_ones_never(client, world, push_service):
    from server.push.dispatcher import purge_finished

    await _as(client, "alice@example.org")
    await _subscribe(client, push_service.phone())
    sent_id = await _pair_reminder(world)
    await dispatch_due()
    pending = await Reminder.insert(
        Reminder(
            dedupe_key="old-pending",
            kind="followup",
            audience="pair",
            team=world.team_a,
            event_at=utcnow(),
            due_at=utcnow() - timedelta(days=400),
            next_attempt_at=utcnow() + timedelta(days=1),
        )
    ).returning(Reminder.id)
    assert await purge_finished(utcnow() - timedelta(days=1)) == 0  # the sent one is recent
    assert await purge_finished(utcnow() + timedelta(days=1)) == 1
    assert await Reminder.count().where(Reminder.id == sent_id) == 0
    assert await ReminderDelivery.count() == 0
    assert await Reminder.count().where(Reminder.id == pending[0]["id"]) == 1


async def test_a_push_service_that_hangs_cannot_keep_a_batch_past_its_lease(client, world, push_service, monkeypatch):
    from server.push import dispatcher

    await _as(client, "alice@example.org")
    await _subscribe(client, push_service.phone())
    reminder_id = await _pair_reminder(world)
    monkeypatch.setattr(dispatcher, "BATCH_DEADLINE", timedelta(seconds=0.5))
    push_service.gate.clear()  # it takes the request and never answers
    try:
        tally = await dispatch_due()
    finally:
        push_service.gate.set()
    assert tally.retried == 1
    row = await Reminder.select(Reminder.state, Reminder.locked_until).where(Reminder.id == reminder_id).first()
    assert row == {"state": "pending", "locked_until": None}


async def test_ending_a_session_stops_its_phones_pushes(client, world, push_service):
    from server.accounts.sessions import revoke_sessions

    await _as(client, "alice@example.org")
    await _subscribe(client, push_service.phone())
    await client.post("/logout", headers={"x-csrftoken": client.cookies["csrftoken"]})
    assert await PushSubscription.count() == 0  # logged out: this phone gets no more pushes
    client.cookies.clear()
    await _as(client, "alice@example.org")
    await _subscribe(client, push_service.phone())
    await revoke_sessions(world.alice)  # the lead ends every session: a lost phone
    assert await PushSubscription.count() == 0


async def test_ending_the_other_sessions_keeps_this_phones_pushes(client, world, push_service):
    await _as(client, "alice@example.org")
    this_phone = push_service.phone()
    await _subscribe(client, this_phone)
    other = await _other_login("alice@example.org")
    await _subscribe(other, push_service.phone())
    await other.aclose()
    assert await PushSubscription.count() == 2
    response = await client.post("/settings/sessions/end-others", data={"_csrf_token": client.cookies["csrftoken"]})
    assert response.status_code == 303
    assert [r["endpoint"] for r in await PushSubscription.select(PushSubscription.endpoint)] == [this_phone.endpoint]


async def _other_login(email: str):
    import httpx

    from server.app import create_app

    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app()), base_url="http://testserver.local")
    await _as(other, email)
    return other


async def test_a_phone_never_passes_between_a_worker_and_a_clients_link(client, world, push_service):
    from tests.support.casework import make_client as new_client

    await _as(client, "alice@example.org")
    phone = push_service.phone()
    await _subscribe(client, phone)
    client_id = await new_client(world.team_a, "Kettu")
    url = (await api(client, "POST", f"/api/v1/clients/{client_id}/reminder-link", {})).json()["url"]
    path = url.split("localhost:8000", 1)[1]
    await client.get(path)
    response = await client.post(
        f"{path}/subscription", json=phone.subscription(), headers={"x-csrftoken": client.cookies["csrftoken"]}
    )
    assert response.status_code == 422  # Alice's own phone stays hers
    row = await PushSubscription.select(PushSubscription.user, PushSubscription.link).first()
    assert row == {"user": world.alice, "link": None}


async def test_a_link_takes_at_most_five_phones_the_longest_unseen_go_first(client, world, push_service):
    from tests.support.casework import make_client as new_client

    await _as(client, "alice@example.org")
    client_id = await new_client(world.team_a, "Kettu")
    path = (
        (await api(client, "POST", f"/api/v1/clients/{client_id}/reminder-link", {}))
        .json()["url"]
        .split("localhost:8000", 1)[1]
    )
    client.cookies.clear()
    await client.get(path)
    phones = [push_service.phone() for _ in range(7)]
    for phone in phones:
        await client.post(
            f"{path}/subscription", json=phone.subscription(), headers={"x-csrftoken": client.cookies["csrftoken"]}
        )
    kept = {r["endpoint"] for r in await PushSubscription.select(PushSubscription.endpoint)}
    assert kept == {p.endpoint for p in phones[2:]}


@pytest.mark.parametrize(
    "addresses", [["10.0.0.5"], ["169.254.169.254"], ["127.0.0.1"], ["::1"], ["142.250.74.106", "192.168.1.1"], []]
)
async def test_a_push_host_that_resolves_inside_the_network_is_never_posted_to(
    world, push_service, monkeypatch, addresses
):
    from server.push import endpoints
    from server.push.subscriptions import save_subscription

    async def dns(host, port):  # the name server is outside this machine: its answer, scripted
        return addresses

    monkeypatch.setattr(endpoints, "resolve", dns)
    endpoints._resolved.clear()
    phone = push_service.phone()
    sneaky = {"endpoint": "https://rebind.push.apple.com/x", **phone.subscription()["keys"]}
    await save_subscription(sneaky, "test", "fi", user_id=world.alice)
    reminder_id = await _pair_reminder(world)
    await dispatch_due()
    assert push_service.arrived == 0
    row = await Reminder.select(Reminder.state).where(Reminder.id == reminder_id).first()
    assert row["state"] == "failed"
    endpoints._resolved.clear()


async def test_a_public_address_is_posted_to(world, push_service, monkeypatch):
    from server.push import endpoints

    async def dns(host, port):
        return ["17.57.146.20"]

    monkeypatch.setattr(endpoints, "resolve", dns)
    endpoints._resolved.clear()
    assert await endpoints.address_allowed("https://web.push.apple.com/abc")
    endpoints._resolved.clear()


async def test_lost_phone_every_session_ends_from_the_api_and_the_cli(client, world):
    import subprocess
    import sys

    await _as(client, "alice@example.org")
    phone_cookies = httpx.Cookies(client.cookies)  # with their domain, as the phone keeps them
    client.cookies.clear()
    await _as(client, "lena@example.org")
    assert (await api(client, "DELETE", "/api/v1/users/dave@example.org/sessions")).status_code == 404  # team B
    response = await api(client, "DELETE", "/api/v1/users/Alice@Example.org/sessions")
    assert response.status_code == 200 and response.json() == {"ended": 1}
    client.cookies.clear()
    client.cookies.update(phone_cookies)
    assert (await client.get("/api/v1/me")).status_code == 401  # the lost phone
    await _as(client, "bob@example.org")
    assert (await api(client, "DELETE", "/api/v1/users/alice@example.org/sessions")).status_code == 403
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "user", "logout", "bob@example.org"], capture_output=True, text=True
    )
    assert done.returncode == 0 and "1 session(s)" in done.stdout
    assert (await client.get("/api/v1/me")).status_code == 401
