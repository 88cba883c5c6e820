"""The client's own reminder link: made by the worker, opened without an account, revocable,
not guessable, and reminders that reach the client's phone in the client's language."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from server.push.dispatcher import dispatch_due
from server.push.tables import PushSubscription, Reminder
from server.timeutil import utcnow
from tests.support.casework import api, make_client
from tests.support.fixtures import login

pytestmark = pytest.mark.anyio


async def _link(client, world, language: str = "sv") -> tuple[str, int]:
    await login(client, "alice@example.org")
    client_id = await make_client(world.team_a, "Kettu")
    starts = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    await api(
        client,
        "POST",
        "/api/v1/appointments",
        {
            "client_id": client_id,
            "starts_at": starts.isoformat(),
            "place": "Kela Itäkeskus",
            "with_whom": "<b>Kela</b>",
            "note": "velat puheeksi",
            "remind_client": True,
        },
    )
    response = await api(client, "POST", f"/api/v1/clients/{client_id}/reminder-link", {"language": language})
    assert response.status_code == 201
    url = response.json()["url"]
    assert re.fullmatch(r"http://localhost:8000/r/[A-Za-z0-9_-]{43}", url)
    client.cookies.clear()  # the client has no account
    return url.split("localhost:8000", 1)[1], client_id


async def test_the_client_sees_their_appointments_in_their_language_without_the_workers_notes(client, world):
    path, _client_id = await _link(client, world)
    page = await client.get(path)
    assert page.status_code == 200
    assert 'lang="sv"' in page.text and "Dina möten" in page.text
    assert "Kela Itäkeskus" in page.text and "&lt;b&gt;Kela&lt;/b&gt;" in page.text  # escaped
    assert "velat puheeksi" not in page.text and "Kettu" not in page.text
    assert page.headers["cache-control"] == "no-store"
    ics_path = re.search(r'href="(/r/[^"]+\.ics)"', page.text).group(1)
    ics = await client.get(ics_path)
    assert ics.status_code == 200 and "LOCATION:Kela Itäkeskus" in ics.text and "velat" not in ics.text


async def test_the_client_turns_reminders_on_and_gets_them_in_their_language(client, world, push_service):
    path, client_id = await _link(client, world)
    await client.get(path)  # sets the CSRF cookie like the page does
    phone = push_service.phone()
    no_csrf = await client.post(f"{path}/subscription", json=phone.subscription())
    assert no_csrf.status_code == 403
    response = await client.post(
        f"{path}/subscription", json=phone.subscription(), headers={"x-csrftoken": client.cookies["csrftoken"]}
    )
    assert response.status_code == 201 and response.json() == {"phones": 1}
    await Reminder.update({Reminder.next_attempt_at: utcnow() - timedelta(seconds=1)}).where(
        Reminder.audience == "client"
    )
    await dispatch_due()
    deliveries = push_service.to(phone)
    assert len(deliveries) == 2  # 24 h and 2 h before: both made due here
    for delivery in deliveries:
        assert delivery.payload["title"] == "Påminnelse" and delivery.payload["url"] == "/r/"
        assert delivery.payload["body"].startswith("Möte ")
        assert "Kela" not in str(delivery.payload) and "Kettu" not in str(delivery.payload)
    # ...and off again: the phone is forgotten.
    response = await client.post(
        f"{path}/subscription/remove",
        json={"endpoint": phone.endpoint},
        headers={"x-csrftoken": client.cookies["csrftoken"]},
    )
    assert response.json() == {"phones": 0}
    assert await PushSubscription.count() == 0


async def test_a_revoked_link_is_gone_with_its_phones(client, world, push_service):
    path, client_id = await _link(client, world)
    await client.get(path)
    await client.post(
        f"{path}/subscription",
        json=push_service.phone().subscription(),
        headers={"x-csrftoken": client.cookies["csrftoken"]},
    )
    await login(client, "alice@example.org")
    page = await client.get(f"/clients/{client_id}")
    link_id = re.search(r'action="/reminder-links/(\d+)/revoke"', page.text).group(1)
    assert "1 puhelin ottaa muistutuksia" in page.text
    assert (await api(client, "DELETE", f"/api/v1/reminder-links/{link_id}")).status_code == 204
    client.cookies.clear()
    assert (await client.get(path)).status_code == 410  # the client's "this link has ended" page
    assert (await client.get(f"{path}/manifest.webmanifest")).status_code == 404
    assert await PushSubscription.count() == 0


async def test_another_team_cannot_make_or_revoke_a_link(client, world):
    path, client_id = await _link(client, world)
    await login(client, "dave@example.org")
    assert (await api(client, "POST", f"/api/v1/clients/{client_id}/reminder-link", {})).status_code == 404


async def test_guessing_links_is_throttled(client, world):
    await _link(client, world)
    for attempt in range(10):
        assert (await client.get(f"/r/{'x' * 43}{attempt}")).status_code == 404
    throttled = await client.get(f"/r/{'x' * 43}z")
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0


async def test_making_a_link_is_logged_and_shown_once_as_a_qr_code(client, world):
    from server.casework.tables import AccessLog

    await login(client, "alice@example.org")
    client_id = await make_client(world.team_a, "Kettu")
    token = client.cookies["csrftoken"]
    page = await client.post(f"/clients/{client_id}/reminder-links", data={"_csrf_token": token, "language": "en"})
    assert page.status_code == 200 and "<svg" in page.text and "/r/" in page.text
    rows = await AccessLog.select(AccessLog.action, AccessLog.what).where(AccessLog.client == client_id)
    assert {"action": "create", "what": "reminder_link_create"} in rows


async def test_guessing_links_does_not_count_towards_the_login_limit_of_the_address(client, world):
    from server.settings import get_settings

    for attempt in range(10):  # as many link guesses as the link allows
        assert (await client.get(f"/r/{'y' * 43}{attempt}")).status_code == 404
    failed_logins = get_settings().login_max_failures_per_address - 9  # with the guesses: over the limit
    for attempt in range(failed_logins):
        assert (await login(client, f"nobody{attempt}@example.org", "wrong")).status_code == 401
    response = await login(client, "alice@example.org")
    assert response.status_code == 303  # the guesses did not count: the address may still log in
