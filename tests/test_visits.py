"""Visits: one device-made id, one visit, whatever the replays; bad input stores nothing."""

import asyncio
import uuid
from collections import Counter

import pytest

from server.accounts.tables import Pair
from server.casework.tables import FollowUp, Visit, VisitAction, VisitTheme, VisitWorker
from tests.support.casework import api, make_client
from tests.support.fixtures import login, post_form

pytestmark = pytest.mark.anyio


@pytest.fixture
async def alice_client(world):
    pair = await Pair.select(Pair.id).first()
    return await make_client(world.team_a, "Make", pair["id"])


def visit_body(client_id=None, **changes):
    body = {
        "id": str(uuid.uuid4()),
        "client_id": client_id,
        "occurred_at": "2026-11-23T10:15:00+02:00",
        "place": "Kallion kirjasto",
        "kind": "street",
        "themes": ["housing", "substances"],
        "actions": ["peer_support"],
        "notes": "Juteltiin asunnosta.",
        "together_with_client": True,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


async def test_first_post_stores_and_a_replay_returns_the_stored_visit(client, world, alice_client):
    await login(client, "alice@example.org")
    body = visit_body(alice_client)
    first = await api(client, "POST", "/api/v1/visits", body)
    assert first.status_code == 201
    again = await api(client, "POST", "/api/v1/visits", {**body, "notes": "changed on replay"})
    assert again.status_code == 200
    assert again.json() == first.json()
    assert first.json()["id"] == body["id"]
    assert first.json()["themes"] == ["housing", "substances"]
    assert first.json()["workers"] == sorted([world.alice, world.bob])  # the pair, by default
    assert await Visit.count() == 1 and await VisitWorker.count() == 2 and await VisitTheme.count() == 2


async def test_fifty_concurrent_replays_store_one_visit(client, world, alice_client):
    await login(client, "alice@example.org")
    body = visit_body(alice_client, next_followup_on="2026-12-01")
    answers = await asyncio.gather(*[api(client, "POST", "/api/v1/visits", body) for _ in range(50)])
    assert Counter(a.status_code for a in answers) == {201: 1, 200: 49}
    assert len({a.text for a in answers}) == 1
    assert await Visit.count() == 1
    assert await VisitWorker.count() == 2 and await VisitTheme.count() == 2 and await VisitAction.count() == 1
    assert await FollowUp.count() == 1


async def test_another_users_visit_id_is_refused_and_reveals_nothing(client, world, alice_client):
    await login(client, "alice@example.org")
    body = visit_body(alice_client)
    await api(client, "POST", "/api/v1/visits", body)
    await post_form(client, "/logout")
    await login(client, "bob@example.org")
    taken = await api(client, "POST", "/api/v1/visits", body)
    assert taken.status_code == 409
    assert "Juteltiin" not in taken.text and "Make" not in taken.text
    assert await Visit.count() == 1


async def test_an_anonymous_street_contact_needs_no_client(client, world):
    await login(client, "bob@example.org")
    response = await api(client, "POST", "/api/v1/visits", {"id": str(uuid.uuid4()), "anonymous_count": 4})
    assert response.status_code == 201
    stored = response.json()
    assert stored["client_id"] is None and stored["anonymous_count"] == 4 and stored["kind"] == "street"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"client_id": None}, "client_id"),  # neither client nor anonymous count
        ({"anonymous_count": 3}, "anonymous_count"),  # both
        ({"client_id": None, "anonymous_count": -1}, "anonymous_count"),
        ({"themes": ["housing", "astrology"]}, "themes"),
        ({"actions": "crisis; DROP TABLE visit"}, "actions"),
        ({"notes": "x" * 4001}, "notes"),
        ({"notes": "null\x00byte"}, "notes"),
        ({"occurred_at": "2026-02-30T10:00"}, "occurred_at"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "2099-01-01T10:00:00+02:00"}, "occurred_at"),
        ({"occurred_at": "2026-03-29T03:30"}, "occurred_at"),  # the hour that does not exist in Helsinki
        ({"id": "not-a-uuid"}, "id"),
        ({"kind": "teleport"}, "kind"),
        ({"client_id": 2**70}, "client_id"),
        ({"workers": ["abc"]}, "workers"),
        ({"workers": [3000000000]}, "workers"),
        ({"client_id": 3000000000}, "client_id"),
        ({"client_id": None, "anonymous_count": 2, "next_followup_on": "2026-12-01"}, "next_followup_on"),
        ({"notes": ["a", "list"]}, "notes"),
    ],
)
async def test_bad_input_gets_field_errors_and_stores_nothing(client, world, alice_client, changes, field):
    await login(client, "alice@example.org")
    body = {**visit_body(alice_client), **changes}
    body = {key: value for key, value in body.items() if value is not None}
    response = await api(client, "POST", "/api/v1/visits", body)
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    assert await Visit.count() == 0 and await VisitWorker.count() == 0


async def test_the_id_is_required_from_api_callers(client, world, alice_client):
    await login(client, "alice@example.org")
    body = visit_body(alice_client)
    del body["id"]
    response = await api(client, "POST", "/api/v1/visits", body)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "id"


async def test_a_worker_of_another_team_is_refused(client, world, alice_client):
    await login(client, "alice@example.org")
    response = await api(client, "POST", "/api/v1/visits", visit_body(alice_client, workers=[world.dave]))
    assert response.status_code == 422
    assert await Visit.count() == 0


async def test_a_client_of_another_team_answers_404_and_nothing_is_stored(client, world):
    other = await make_client(world.team_b, "Vantaan Ville")
    await login(client, "alice@example.org")
    response = await api(client, "POST", "/api/v1/visits", visit_body(other))
    assert response.status_code == 404
    assert await Visit.count() == 0


async def test_json_is_required_not_a_form_or_text(client, world, alice_client):
    await login(client, "alice@example.org")
    token = client.cookies["csrftoken"]
    as_text = await client.post(
        "/api/v1/visits", content='{"anonymous_count": 1}', headers={"x-csrftoken": token, "content-type": "text/plain"}
    )
    assert as_text.status_code == 415  # a cross-site "simple" request never changes anything
    broken = await client.post(
        "/api/v1/visits",
        content='{"anonymous_count": ',
        headers={"x-csrftoken": token, "content-type": "application/json"},
    )
    assert broken.status_code == 400 and broken.json()["errors"] == [{"field": "body", "message": "Virheellinen JSON."}]
    assert await Visit.count() == 0


async def test_api_posts_need_the_csrf_header(client, world):
    await login(client, "alice@example.org")
    response = await client.post("/api/v1/visits", json={"id": str(uuid.uuid4()), "anonymous_count": 1})
    assert response.status_code == 403
    assert await Visit.count() == 0


async def test_extra_fields_cannot_move_a_visit_to_another_team_or_author(client, world):
    await login(client, "alice@example.org")
    response = await api(
        client,
        "POST",
        "/api/v1/visits",
        {"id": str(uuid.uuid4()), "anonymous_count": 2, "team_id": world.team_b, "created_by": world.dave},
    )
    assert response.status_code == 201
    stored = await Visit.select(Visit.team, Visit.created_by).first()
    assert stored == {"team": world.team_a, "created_by": world.alice}


async def test_the_plain_form_logs_a_visit_without_javascript(client, world, alice_client):
    await login(client, "alice@example.org")
    response = await post_form(
        client,
        "/visits",
        {
            "mode": "client",
            "client_id": str(alice_client),
            "kind": "home",
            "themes": ["housing", "finances"],
            "occurred_at": "2026-11-22T23:30",
            "notes": "Kotikäynti",
            "next_followup_on": "2026-11-30",
            "followup_note": "Soita",
        },
    )
    assert response.status_code == 303 and response.headers["location"] == f"/clients/{alice_client}?saved=visit"
    visit = await Visit.select(Visit.occurred_at, Visit.kind).first()
    # 23.30 in Helsinki (winter, +02:00) is 21.30 UTC, and the visit belongs to the 22nd.
    assert visit["occurred_at"].isoformat() == "2026-11-22T21:30:00+00:00"
    page = await client.get(f"/clients/{alice_client}")
    assert "22.11.2026 klo 23.30" in page.text and "Kotikäynti" in page.text
    followup = await FollowUp.select(FollowUp.due_at, FollowUp.note).first()
    assert followup["note"] == "Soita" and followup["due_at"].isoformat() == "2026-11-30T07:00:00+00:00"


async def test_the_form_shows_errors_in_finnish_and_keeps_what_was_typed(client, world):
    await login(client, "alice@example.org")
    response = await post_form(client, "/visits", {"mode": "client", "notes": "<b>tärkeä</b> muistiinpano"})
    assert response.status_code == 422
    assert "Valitse asiakas" in response.text
    assert "&lt;b&gt;tärkeä&lt;/b&gt; muistiinpano" in response.text
    assert await Visit.count() == 0


async def test_the_autumn_hour_that_happens_twice_is_read_as_the_first(client, world):
    await login(client, "bob@example.org")
    response = await api(
        client,
        "POST",
        "/api/v1/visits",
        {"id": str(uuid.uuid4()), "anonymous_count": 1, "occurred_at": "2026-10-25T03:30"},
    )
    assert response.status_code == 201
    assert response.json()["occurred_at"] == "2026-10-25T00:30:00Z"


async def test_visits_of_a_client_are_listed_with_paging(client, world, alice_client):
    await login(client, "alice@example.org")
    for hour in (8, 9, 10):
        await api(
            client, "POST", "/api/v1/visits", visit_body(alice_client, occurred_at=f"2026-11-20T{hour:02d}:00:00Z")
        )
    listed = (await client.get(f"/api/v1/visits?client_id={alice_client}&limit=2")).json()
    assert listed["total"] == 3 and len(listed["items"]) == 2
    assert listed["items"][0]["occurred_at"] == "2026-11-20T10:00:00Z"
    one = await client.get(f"/api/v1/visits/{listed['items'][1]['id']}")
    assert one.status_code == 200 and one.json()["client_id"] == alice_client


async def test_a_visit_is_logged_once_as_created_and_lists_as_read(client, world, alice_client):
    from server.casework.tables import AccessLog

    await login(client, "alice@example.org")
    body = visit_body(alice_client)
    await api(client, "POST", "/api/v1/visits", body)
    await api(client, "POST", "/api/v1/visits", body)
    await client.get("/api/v1/visits")
    rows = await AccessLog.select(AccessLog.what, AccessLog.action).order_by(AccessLog.id)
    # The replay stored nothing new, so it adds no row.
    assert rows == [{"what": "visit_create", "action": "create"}, {"what": "api_visits", "action": "read"}]
