"""Web Push and SSRF: §5 #40–45 of ../shared/research/security.md.

Already proven in tests/test_push.py, not repeated here: the endpoints of its
test_endpoints_outside_the_known_push_services_are_refused list (cloud metadata over http, private
addresses, look-alike hosts, userinfo, plain http to a real service, a path or query naming an
allowed host), DNS answers inside the network (#42, test_a_push_host_that_resolves_inside_the_network_is_never_posted_to),
410 (#44, test_a_gone_subscription_is_deleted), 429 with Retry-After and 500s with backoff
(test_429_waits_..., test_server_errors_back_off_...), at most 5 phones per client link
(#43, test_a_link_takes_at_most_five_phones_the_longest_unseen_go_first) and the test push's text.

The suite allows the loopback push service (127.0.0.1 over http, tests/conftest.py); the SSRF
cases here run against the production allowlist, the known push services only.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest

from server.push import endpoints
from server.push.dispatcher import dispatch_due
from server.push.tables import PushSubscription, Reminder
from server.settings import DEFAULT_PUSH_HOSTS, get_settings
from server.timeutil import utcnow
from tests.support.casework import api, make_client, patch_client
from tests.support.fixtures import login
from tests.support.team_a import MARKER, make_team_a
from tests.test_push import _pair_id, _subscribe

pytestmark = pytest.mark.anyio


@pytest.fixture
def production_allowlist(monkeypatch):
    """The default allowlist (no loopback service), and a resolver that records every lookup."""
    settings = dataclasses.replace(get_settings(), push_endpoint_allowlist=DEFAULT_PUSH_HOSTS)
    monkeypatch.setattr(endpoints, "get_settings", lambda: settings)
    looked_up: list[str] = []

    async def resolver(host, port):
        looked_up.append(host)
        return ["127.0.0.1"]

    monkeypatch.setattr(endpoints, "resolve", resolver)
    endpoints._resolved.clear()
    yield looked_up
    endpoints._resolved.clear()


# -- #40, #41: endpoints refused at subscription --------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint",
    [
        # 40
        "https://127.0.0.1/",
        "https://[::1]/",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.5/",
        "https://0x7f.1/",
        "https://2130706433/",
        "https://localhost./",
        "file:///etc/passwd",
        "gopher://fcm.googleapis.com:70/_GET",
        "http://fcm.googleapis.com/fcm/send/x",
        # 41
        "https://fcm.googleapis.com.evil.tld/x",
        "https://evil.tld/.push.apple.com/x",
        "https://127.0.0.1:8080/.push.apple.com/",
        "https://evil.tld/?h=fcm.googleapis.com",
        "https://fcm.googleapis.com@evil.tld/",
        "https://fcm.googleapis.com:8443/x",
        "https://evilnotify.windows.com/x",
        "https://notify.windows.com/x",
        "https://fcm.googleapis.com\\@evil.tld/",
        "https://fcm.googleapis.com%2F@evil.tld/",
        "https://fcm.googleapis.com#@evil.tld/",
        "//fcm.googleapis.com/x",
        "https://fcm.googleapis.com/x\r\nHost: evil.tld",
    ],
)
async def test_an_endpoint_outside_the_push_services_is_422_stores_nothing_and_connects_nowhere(
    client, world, push_service, production_allowlist, endpoint
):
    await login(client, "alice@example.org")
    body = {**push_service.phone().subscription(), "endpoint": endpoint}
    response = await api(client, "POST", "/api/v1/push/subscriptions", body)
    assert response.status_code == 422
    assert await PushSubscription.count() == 0
    assert production_allowlist == [] and push_service.arrived == 0


async def test_an_allowed_host_in_capitals_or_with_the_root_dot_is_one_rule(client, world, production_allowlist):
    """#41's exception: `https://FCM.GOOGLEAPIS.COM./x` may normalise. Here the upper case normalises
    (host names are case-blind) and the trailing root dot is refused: either is safe."""
    await login(client, "alice@example.org")
    keys = {
        "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
        "auth": "tBHItJI5svbpez7KI4CCXg",
    }
    upper = await api(
        client, "POST", "/api/v1/push/subscriptions", {"endpoint": "https://FCM.GOOGLEAPIS.COM/x", "keys": keys}
    )
    dotted = await api(
        client, "POST", "/api/v1/push/subscriptions", {"endpoint": "https://FCM.GOOGLEAPIS.COM./x", "keys": keys}
    )
    assert (upper.status_code, dotted.status_code) == (201, 422)


# -- #42: redirects -------------------------------------------------------------------------------------------


async def test_a_push_service_redirect_is_not_followed(client, world, push_service):
    """#42: a push service answering 302 towards another address: the dispatcher does not go there."""
    await login(client, "alice@example.org")
    target = push_service.phone()  # stands for an internal URL: any request reaching it is counted
    redirecting = push_service.phone((302, {"Location": target.endpoint}))
    await _subscribe(client, redirecting)
    client_id = await make_client(world.team_a, "Kettu", pair_id=await _pair_id())
    now = utcnow()
    await Reminder.insert(
        Reminder(
            dedupe_key="redirect",
            kind="followup",
            audience="pair",
            team=world.team_a,
            client=client_id,
            event_at=now + timedelta(hours=3),
            due_at=now,
            next_attempt_at=now,
        )
    )
    await dispatch_due()
    assert push_service.requests == 1 and push_service.to(target) == []


# -- #43: caps --------------------------------------------------------------------------------------------------


async def test_one_account_keeps_at_most_ten_phones(client, world, push_service):
    """#43: 25 subscriptions from one account keep the 10 seen last (MAX_PHONES_PER_USER)."""
    await login(client, "alice@example.org")
    phones = [push_service.phone() for _ in range(25)]
    for phone in phones:
        assert (await api(client, "POST", "/api/v1/push/subscriptions", phone.subscription())).status_code == 201
    kept = {row["endpoint"] for row in await PushSubscription.select(PushSubscription.endpoint)}
    assert kept == {phone.endpoint for phone in phones[-10:]}


# -- #44: gone -------------------------------------------------------------------------------------------------


async def test_a_phone_the_service_no_longer_knows_is_deleted_and_never_tried_again(client, world, push_service):
    """#44: 404 (like 410) deletes the subscription; the next reminder does not knock again."""
    await login(client, "alice@example.org")
    unknown, alive = push_service.phone(404), push_service.phone()
    await _subscribe(client, unknown)
    await _subscribe(client, alive)
    client_id = await make_client(world.team_a, "Kettu", pair_id=await _pair_id())
    for number in range(2):
        now = utcnow()
        await Reminder.insert(
            Reminder(
                dedupe_key=f"gone-{number}",
                kind="followup",
                audience="pair",
                team=world.team_a,
                client=client_id,
                event_at=now + timedelta(hours=3),
                due_at=now,
                next_attempt_at=now,
            )
        )
        await dispatch_due()
    assert [row["endpoint"] for row in await PushSubscription.select(PushSubscription.endpoint)] == [alive.endpoint]
    assert push_service.requests == 3  # 404 once, then the living phone twice
    assert len(push_service.to(alive)) == 2


# -- #45: what a lock screen shows -------------------------------------------------------------------------------


async def test_no_payload_names_anyone_or_anything_and_each_is_small(client, world, push_service):
    """#45: every reminder the casework plans for team A (follow-up, appointment to the pair and to
    the client, referral check, release countdown) and the test push, read as the phones get them.
    (All are made due at once here, so one moment's reminders arrive side by side.) A worker's
    release reminder says "release from prison in N days": the kind of event, never whose."""
    from server.casework.tables import Client

    team_a = await make_team_a(world)
    await login(client, "alice@example.org")
    worker_phone = push_service.phone()
    await _subscribe(client, worker_phone)
    await api(client, "POST", "/api/v1/push/test")
    link = (await api(client, "POST", f"/api/v1/clients/{team_a.client}/reminder-link", {})).json()["url"]
    path = link.split("localhost:8000", 1)[1]
    await api(
        client,
        "POST",
        "/api/v1/appointments",
        {
            "client_id": team_a.client,
            "starts_at": (utcnow() + timedelta(hours=30)).isoformat(),
            "place": f"{MARKER} Kela",
            "with_whom": f"{MARKER} Sosiaalityö",
            "remind_client": True,
        },
    )
    await patch_client(
        client,
        team_a.client,
        {
            "release_date": (utcnow() + timedelta(days=7)).date().isoformat(),
            "institution": f"{MARKER} vankila",
            "consent_reminders": True,
        },
    )
    client.cookies.clear()
    await client.get(path)
    client_phone = push_service.phone()
    subscribed = await client.post(
        f"{path}/subscription", json=client_phone.subscription(), headers={"x-csrftoken": client.cookies["csrftoken"]}
    )
    assert subscribed.status_code in (200, 201), subscribed.text
    await Reminder.update(
        {Reminder.due_at: utcnow() - timedelta(seconds=1), Reminder.next_attempt_at: utcnow() - timedelta(seconds=1)}
    ).where(Reminder.state == "pending")
    await dispatch_due()
    kinds = {row["kind"] for row in await Reminder.select(Reminder.kind).where(Reminder.state == "sent")}
    assert len(push_service.delivered) >= 3 and len(kinds) >= 2, kinds
    assert push_service.to(client_phone), "the client's own phone got its reminder"
    pseudonym = (await Client.select(Client.pseudonym).first())["pseudonym"]
    for delivery in push_service.delivered:
        text = json.dumps(delivery.payload, ensure_ascii=False)
        assert len(text.encode()) < 1024
        for secret in (MARKER, pseudonym, "Kettu", "Virtanen", "Kela", "Sukeva", "0401234567", "alice", "Alice"):
            assert secret not in text, (secret, text)
