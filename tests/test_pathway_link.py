"""The client's link page and the path: notes written together, goals and reviews appear only with
the client's consent (given on the page, off by default), never a note not written together; an
ended link answers a page for the client; the offline copy and the link's own worker."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

from server.casework.tables import Client
from server.pathway.tables import LinkSharing
from server.timeutil import local_today, utcnow
from tests.support.casework import api, make_client
from tests.support.fixtures import login

pytestmark = pytest.mark.anyio

TOGETHER = "Sovittiin yhdessä: Kelan hakemus perjantaina"
BEHIND = "Työparin oma huomio, ei asiakkaalle"


async def make_path(client, world, language: str = "fi") -> tuple[str, int]:
    """Alice records a client's path and makes the client's link; returns the link's path."""
    await login(client, "alice@example.org")
    client_id = await make_client(world.team_a, "Kettu")
    now = utcnow()
    for notes, together in ((TOGETHER, True), (BEHIND, False)):
        await api(
            client,
            "POST",
            "/api/v1/visits",
            {
                "id": str(uuid.uuid4()),
                "client_id": client_id,
                "occurred_at": now.isoformat(),
                "notes": notes,
                "together_with_client": together,
            },
        )
    today = local_today()
    await api(
        client,
        "POST",
        f"/api/v1/clients/{client_id}/agreements",
        {
            "starts_on": str(today - timedelta(days=200)),
            "ends_on": str(today + timedelta(days=160)),
            "goals": [{"text": "Oma asunto <b>ennen talvea</b>"}, {"text": "Velat järjestykseen"}],
        },
    )
    for days_ago, housing in ((190, 1), (5, 4)):
        await api(
            client,
            "POST",
            f"/api/v1/clients/{client_id}/reviews",
            {"held_on": str(today - timedelta(days=days_ago)), "scores": {"housing": housing, "crime_free": 3}},
        )
    await api(
        client,
        "POST",
        "/api/v1/appointments",
        {
            "client_id": client_id,
            "starts_at": (now + timedelta(days=3)).isoformat(),
            "with_whom": "Kela",
            "place": "Itäkeskus",
        },
    )
    made = await api(client, "POST", f"/api/v1/clients/{client_id}/reminder-link", {"language": language})
    client.cookies.clear()  # the client has no account
    return made.json()["url"].split("localhost:8000", 1)[1], client_id


async def share(client, path: str, on: bool):
    await client.get(path)
    return await client.post(
        f"{path}/sharing", data={"share": "1" if on else "0", "_csrf_token": client.cookies["csrftoken"]}
    )


async def test_the_client_sees_notes_goals_and_reviews_only_after_agreeing(client, world):
    path, _client_id = await make_path(client, world)
    page = (await client.get(path)).text
    assert 'data-sharing="off"' in page
    for hidden in (TOGETHER, BEHIND, "Velat järjestykseen", "<svg"):
        assert hidden not in page
    agreed = await share(client, path, True)
    assert agreed.status_code == 303 and agreed.headers["location"] == f"{path}#together"
    page = (await client.get(path)).text
    assert 'data-sharing="on"' in page and TOGETHER in page and "Velat järjestykseen" in page
    assert "Oma asunto &lt;b&gt;ennen talvea&lt;/b&gt;" in page  # the client's words, escaped
    assert "<svg" in page and "Asuminen" in page
    assert BEHIND not in page  # a note not written together never shows
    await share(client, path, False)
    page = (await client.get(path)).text
    assert TOGETHER not in page and 'data-sharing="off"' in page
    assert await LinkSharing.count() == 1


async def test_the_consent_needs_the_pages_csrf_token_and_a_live_link(client, world):
    path, _client_id = await make_path(client, world)
    await client.get(path)
    assert (await client.post(f"{path}/sharing", data={"share": "1"})).status_code == 403
    wrong = "/r/" + "x" * 43
    assert (
        await client.post(f"{wrong}/sharing", data={"share": "1", "_csrf_token": client.cookies["csrftoken"]})
    ).status_code == 404
    assert await LinkSharing.count() == 0


async def test_the_offline_copy_has_the_next_appointments_and_goals_in_the_clients_language(client, world):
    path, _client_id = await make_path(client, world, language="sv")
    copy = await client.get(f"{path}/offline")
    assert copy.status_code == 200 and 'lang="sv"' in copy.text and "Kela" in copy.text
    assert "Velat järjestykseen" not in copy.text  # goals only with the client's consent
    await share(client, path, True)
    copy = await client.get(f"{path}/offline")
    assert "Velat järjestykseen" in copy.text and "Dina mål" in copy.text
    assert TOGETHER not in copy.text and BEHIND not in copy.text
    assert copy.headers["cache-control"] == "no-store"
    worker = await client.get("/r/sw.js")
    assert worker.status_code == 200 and worker.headers["content-type"].startswith("text/javascript")
    assert "client-link-copy" in worker.text
    page = (await client.get(path)).text
    assert f'data-scope="{path}"' in page
    manifest = (await client.get(f"{path}/manifest.webmanifest")).json()
    assert manifest["scope"] == path and manifest["start_url"] == path


@pytest.mark.parametrize("how", ["stopped", "client_closed"])
async def test_an_ended_link_answers_a_page_for_the_client(client, world, how):
    path, client_id = await make_path(client, world, language="sv")
    await share(client, path, True)
    if how == "stopped":
        await login(client, "alice@example.org")
        page = await client.get(f"/clients/{client_id}")
        link_id = re.search(r'action="/reminder-links/(\d+)/revoke"', page.text).group(1)
        await client.post(f"/reminder-links/{link_id}/revoke", data={"_csrf_token": client.cookies["csrftoken"]})
        client.cookies.clear()
    else:
        await Client.update({Client.status: "closed"}).where(Client.id == client_id)
    ended = await client.get(path)
    assert ended.status_code == 410 and 'lang="sv"' in ended.text
    assert "Länken har upphört" in ended.text
    for gone in ("Kettu", "Kela", TOGETHER, "Velat", "rinnalla-link-worker"):
        assert gone not in ended.text
    assert "rinnalla-client-page" in ended.text  # no worker of the app is installed from it
    for sub in ("/offline", "/appointments/1.ics", "/manifest.webmanifest"):
        assert (await client.get(path + sub)).status_code == 404
    assert (
        await client.post(f"{path}/sharing", data={"share": "1", "_csrf_token": client.cookies.get("csrftoken", "")})
    ).status_code in (403, 404)
