"""The release plan (vapautumissuunnitelma): the API, the client page's form, the walls, the use
log, the lead's count of releases without a plan, the reminder's count of open items, and a closed
client's links."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from server.accounts.tables import Pair
from server.casework.tables import AccessLog
from server.push.tables import PushSubscription, Reminder, ReminderLink
from server.release.tables import ReleasePlanItem
from server.timeutil import local_today, utcnow
from tests.support.casework import api, make_client, patch_client
from tests.support.fixtures import login, post_form

pytestmark = pytest.mark.anyio


@pytest.fixture
async def pair_a(world) -> int:
    return (await Pair.select(Pair.id).where(Pair.team == world.team_a).first())["id"]


async def _soon(world, pair_a, name: str, days: int, **extra) -> int:
    return await make_client(world.team_a, name, pair_a, release_date=local_today() + timedelta(days=days), **extra)


async def test_a_plan_is_put_and_read_back_with_who_does_what(client, world, pair_a):
    kettu = await _soon(world, pair_a, "Kettu", 12, release_type="supervised_probationary_freedom")
    await login(client, "alice@example.org")
    empty = (await api(client, "GET", f"/api/v1/clients/{kettu}/release-plan")).json()
    assert empty["days_to_release"] == 12 and empty["open_essential"] == ["housing", "livelihood", "gate"]
    assert empty["items"]["probation_office"]["state"] == "todo"  # supervised: the office is on the list
    put = await api(
        client,
        "PUT",
        f"/api/v1/clients/{kettu}/release-plan",
        {
            "items": {
                "housing": "done",
                "livelihood": {"state": "done", "who_user_id": world.bob},
                "gate": {"state": "todo", "who": "Kriminaalihuollon tukisäätiö"},
                "id_card": "not_needed",
            }
        },
    )
    assert put.status_code == 200, put.text
    plan = (await api(client, "GET", f"/api/v1/clients/{kettu}/release-plan")).json()
    assert plan["items"]["housing"]["state"] == "done"
    assert plan["items"]["livelihood"] == {**plan["items"]["livelihood"], "state": "done", "who_user_id": world.bob}
    assert plan["items"]["gate"]["who"] == "Kriminaalihuollon tukisäätiö"
    assert plan["open_essential"] == ["gate"]
    assert plan["open"] == ["bank_account", "care", "probation_office", "gate", "first_meeting"]
    # A second PUT names one item: the others keep their state.
    await api(client, "PUT", f"/api/v1/clients/{kettu}/release-plan", {"items": {"gate": "done"}})
    plan = (await api(client, "GET", f"/api/v1/clients/{kettu}/release-plan")).json()
    assert plan["open_essential"] == [] and plan["items"]["housing"]["state"] == "done"
    assert await ReleasePlanItem.count().where(ReleasePlanItem.client == kettu) == 4
    logged = (
        await AccessLog.select(AccessLog.action, AccessLog.what, AccessLog.object)
        .where((AccessLog.client == kettu) & (AccessLog.user == world.alice))
        .order_by(AccessLog.id)
    )
    assert [(row["action"], row["what"]) for row in logged] == [
        ("read", "api_release_plan"),
        ("update", "release_plan_update"),
        ("read", "api_release_plan"),
        ("update", "release_plan_update"),
        ("read", "api_release_plan"),
    ]
    assert {row["object"] for row in logged} == {"release_plan", f"release_plan:{kettu}"}


@pytest.mark.parametrize(
    "body, fields",
    [
        ({"items": {"housing": "done", "yacht": "done"}}, ["items.yacht"]),
        ({"items": {"housing": "maybe"}}, ["items.housing"]),
        ({"items": {"housing": {"state": "done", "who_user_id": "dave"}}}, ["items.housing.who_user_id"]),
        ({"items": {"gate": {"state": "done", "who": "x" * 121}}}, ["items.gate.who"]),
        ({"items": {}}, ["items"]),
        ({"items": ["housing"]}, ["items"]),
    ],
)
async def test_bad_items_or_states_answer_422_with_fields_and_store_nothing(client, world, pair_a, body, fields):
    kettu = await _soon(world, pair_a, "Kettu", 12)
    await login(client, "alice@example.org")
    answer = await api(client, "PUT", f"/api/v1/clients/{kettu}/release-plan", body)
    assert answer.status_code == 422, answer.text
    assert sorted(error["field"] for error in answer.json()["errors"]) == fields
    assert await ReleasePlanItem.count() == 0


async def test_who_must_be_a_member_of_the_clients_pair(client, world, pair_a):
    kettu = await _soon(world, pair_a, "Kettu", 12)
    await login(client, "alice@example.org")
    answer = await api(
        client,
        "PUT",
        f"/api/v1/clients/{kettu}/release-plan",
        {"items": {"housing": {"state": "done", "who_user_id": world.dave}}},
    )
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "items.housing.who_user_id"
    assert await ReleasePlanItem.count() == 0


async def test_another_teams_client_is_404_and_nothing_is_stored(client, world, pair_a):
    kettu = await _soon(world, pair_a, "Kettu", 12)
    await login(client, "dave@example.org")
    assert (await api(client, "GET", f"/api/v1/clients/{kettu}/release-plan")).status_code == 404
    assert (
        await api(client, "PUT", f"/api/v1/clients/{kettu}/release-plan", {"items": {"housing": "done"}})
    ).status_code == 404
    assert (await post_form(client, f"/clients/{kettu}/release-plan", {"state_housing": "done"})).status_code == 404
    assert await ReleasePlanItem.count() == 0
    refused = await AccessLog.select(AccessLog.outcome).where(AccessLog.user == world.dave)
    assert refused and {row["outcome"] for row in refused} == {"denied"}


async def test_the_client_page_form_saves_without_scripts_and_shows_errors(client, world, pair_a):
    kettu = await _soon(world, pair_a, "Kettu", 5)
    await login(client, "alice@example.org")
    page = await client.get(f"/clients/{kettu}")
    assert 'id="release-plan"' in page.text and 'name="state_housing"' in page.text
    saved = await post_form(
        client,
        f"/clients/{kettu}/release-plan",
        {
            "state_housing": "done",
            "who_housing": str(world.bob),
            "who_text_housing": "",
            "state_gate": "done",
            "who_gate": "",
            "who_text_gate": "<b>Tukisäätiö</b>",
        },
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("saved=release_plan#release-plan")
    page = await client.get(saved.headers["location"])
    assert "&lt;b&gt;Tukisäätiö&lt;/b&gt;" in page.text and "<b>Tukisäätiö" not in page.text
    bad = await post_form(client, f"/clients/{kettu}/release-plan", {"state_livelihood": "sometime"})
    assert bad.status_code == 422 and 'id="release-plan"' in bad.text
    assert await ReleasePlanItem.count().where(ReleasePlanItem.item == "livelihood") == 0
    swapped = await client.post(
        f"/clients/{kettu}/release-plan",
        headers={"HX-Request": "true"},
        data={"_csrf_token": client.cookies["csrftoken"], "state_livelihood": "done"},
    )
    assert swapped.status_code == 200 and '<section id="release-plan"' in swapped.text and "<html" not in swapped.text
    assert "Vapautumissuunnitelma tallennettu." in swapped.text


async def _figures(client) -> dict:
    answer = await client.get("/api/v1/dashboard")
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_the_dashboard_counts_releases_without_a_plan(client, world, pair_a):
    """No plan; essentials open; a complete plan; a release beyond 30 days; another team's."""
    no_plan = await _soon(world, pair_a, "Eiplan", 3)
    half = await _soon(world, pair_a, "Puoli", 20)
    ready = await _soon(world, pair_a, "Valmis", 10)
    await _soon(world, pair_a, "Myöhemmin", 45)
    await make_client(world.team_b, "Toinen", None, release_date=local_today() + timedelta(days=2))
    await login(client, "alice@example.org")
    await api(client, "PUT", f"/api/v1/clients/{half}/release-plan", {"items": {"housing": "done"}})
    await api(
        client,
        "PUT",
        f"/api/v1/clients/{ready}/release-plan",
        {"items": {"housing": "done", "livelihood": "done", "gate": "not_needed"}},
    )
    client.cookies.clear()
    await login(client, "lena@example.org")
    figures = await _figures(client)
    rows = figures["releases_without_plan"]
    assert [(r["client_id"], r["days_left"], r["open_essential"], r["no_plan"]) for r in rows] == [
        (no_plan, 3, ["housing", "livelihood", "gate"], True),
        (half, 20, ["livelihood", "gate"], False),
    ]
    assert all(r["pair_id"] == pair_a for r in rows)
    page = await client.get("/lead")
    count = re.search(r'href="#release-plans"><span class="stat__value">(\d+)<', page.text)
    assert count and count.group(1) == "2"
    assert f'href="/clients/{no_plan}#release-plan"' in page.text and "Eiplan" not in page.text  # no names
    listed = await client.get("/lead/clients?show=no_release_plan")
    assert re.findall(r'href="/clients/\d+">([^<]+)<', listed.text) == ["Eiplan", "Puoli"]
    # The plan is completed: the count goes down.
    client.cookies.clear()
    await login(client, "alice@example.org")
    await api(client, "PUT", f"/api/v1/clients/{half}/release-plan", {"items": {"livelihood": "done", "gate": "done"}})
    client.cookies.clear()
    await login(client, "lena@example.org")
    assert [r["client_id"] for r in (await _figures(client))["releases_without_plan"]] == [no_plan]


async def test_heavy_phases_weigh_more_in_the_pairs_load(client, world, pair_a, monkeypatch):
    from server.dashboard import heavy

    await _soon(world, pair_a, "Pian", 10)  # release within 30 days: heavy
    later = await _soon(world, pair_a, "Myöhemmin", 60)
    usual = await make_client(world.team_a, "Tavallinen", pair_a)
    await login(client, "lena@example.org")
    pair = next(p for p in (await _figures(client))["pairs"] if p["id"] == pair_a)
    assert (pair["active_clients"], pair["heavy_clients"], pair["weighted_load"]) == (3, 1, 4)
    assert (await _figures(client))["heavy_clients"] == 1
    # A crisis at a group visit a week ago makes its attendee's phase heavy too.
    client.cookies.clear()
    await login(client, "alice@example.org")
    crisis = await api(
        client,
        "POST",
        "/api/v1/visits",
        {
            "id": "00000000-0000-4000-8000-000000000001",
            "kind": "group",
            "client_ids": [usual],
            "actions": ["crisis"],
            "occurred_at": (utcnow() - timedelta(days=7)).isoformat(),
        },
    )
    assert crisis.status_code == 201, crisis.text
    client.cookies.clear()
    await login(client, "lena@example.org")
    pair = next(p for p in (await _figures(client))["pairs"] if p["id"] == pair_a)
    assert (pair["heavy_clients"], pair["weighted_load"]) == (2, 5)

    # The review-decline criterion is pluggable (the reviews module wires it in).
    async def declining(team_ids):
        return {later}

    monkeypatch.setattr(heavy, "declining_reviews", declining)
    pair = next(p for p in (await _figures(client))["pairs"] if p["id"] == pair_a)
    assert (pair["heavy_clients"], pair["weighted_load"]) == (3, 6)
    page = await client.get("/lead")
    assert "3 raskaassa vaiheessa · painotettu kuormitus 6" in page.text


async def test_a_release_reminder_says_how_many_items_are_open_and_no_name(world, pair_a):
    from server.push.dispatcher import _with_open_plan_items
    from server.push.messages import payload

    kettu = await _soon(world, pair_a, "Kettu", 7)
    await ReleasePlanItem.insert(ReleasePlanItem(team=world.team_a, client=kettu, item="housing", state="done"))
    reminder = {"id": 1, "kind": "release", "client": kettu, "event_at": utcnow() + timedelta(days=7, hours=12)}
    await _with_open_plan_items([reminder])
    assert reminder["open_items"] == 6  # 8 items, housing done, the probation office not needed
    body = json.loads(payload(reminder, "fi"))["body"]
    assert "6 avointa kohtaa" in body and "Kettu" not in body
    assert "6 items of the release plan are still open" in json.loads(payload(reminder, "en"))["body"]
    assert "6 punkter i frigivningsplanen" in json.loads(payload(reminder, "sv"))["body"]
    reminder["open_items"] = 1
    assert "1 item of the release plan is still open" in json.loads(payload(reminder, "en"))["body"]


async def test_closing_a_client_ends_their_links_and_forgets_the_phones(client, world, pair_a):
    kettu = await make_client(world.team_a, "Kettu", pair_a)
    await login(client, "alice@example.org")
    link = (await api(client, "POST", f"/api/v1/clients/{kettu}/reminder-link", {"language": "fi"})).json()["url"]
    path = "/r/" + link.rsplit("/r/", 1)[1]
    link_id = (await ReminderLink.select(ReminderLink.id).first())["id"]
    await PushSubscription.insert(
        PushSubscription(
            endpoint="https://fcm.googleapis.com/fcm/send/kettu", p256dh="k", auth="a", link=link_id, vapid_key="v"
        )
    )
    assert (await client.get(path)).status_code == 200
    closed = await patch_client(client, kettu, {"status": "closed"})
    assert closed.status_code == 200, closed.text
    assert (await ReminderLink.select(ReminderLink.revoked_at).first())["revoked_at"] is not None
    assert await PushSubscription.count() == 0
    assert (await client.get(path)).status_code != 200
    assert await Reminder.count().where((Reminder.client == kettu) & (Reminder.state == "pending")) == 0
