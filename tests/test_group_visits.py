"""Group visits (ryhmätoiminta) and network meetings (verkostopalaveri) through the API and the
plain form: one visit row, one line in each attendee's timeline, replays stored once, the walls
for every id, and each attendee's read and write in the use log."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from server.accounts.tables import Pair
from server.casework.tables import AccessLog, Visit, VisitAttendee, VisitMeeting
from tests.support.casework import api, make_client
from tests.support.fixtures import login, post_form

pytestmark = pytest.mark.anyio


@pytest.fixture
async def clients(world) -> dict[str, int]:
    pair = (await Pair.select(Pair.id).where(Pair.team == world.team_a).first())["id"]
    return {
        "make": await make_client(world.team_a, "Make", pair),
        "pete": await make_client(world.team_a, "Pete", pair),
        "late": await make_client(world.team_a, "Late", pair),
        "dave_s": await make_client(world.team_b, "Bertta"),
    }


def group(clients: dict[str, int], *names: str, **extra) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "kind": "group",
        "client_ids": [clients[n] for n in names],
        "occurred_at": "2026-11-30T14:00:00+02:00",
        "place": "Päiväkeskus",
        "notes": "Ryhmässä puhuttiin asumisesta",
        **extra,
    }


async def test_a_group_visit_is_one_row_in_every_attendees_timeline(client, world, clients):
    await login(client, "alice@example.org")
    body = group(clients, "make", "pete", anonymous_count=3, themes=["peer_support"])
    answer = await api(client, "POST", "/api/v1/visits", body)
    assert answer.status_code == 201, answer.text
    visit = answer.json()
    assert visit["client_id"] is None and visit["client_ids"] == sorted([clients["make"], clients["pete"]])
    assert visit["anonymous_count"] == 3 and visit["kind"] == "group"
    assert await Visit.count() == 1 and await VisitAttendee.count() == 2
    for name in ("make", "pete"):
        timeline = (await client.get(f"/api/v1/visits?client_id={clients[name]}")).json()
        assert [v["id"] for v in timeline["items"]] == [body["id"]], name
        page = await client.get(f"/clients/{clients[name]}")
        assert page.text.count("Ryhmässä puhuttiin asumisesta") == 1
        assert "2 asiakasta ryhmässä" in page.text and "3 nimeämätöntä" in page.text
    assert (await client.get(f"/api/v1/visits?client_id={clients['late']}")).json()["items"] == []
    written = await AccessLog.select(AccessLog.client, AccessLog.action, AccessLog.object).where(
        (AccessLog.action == "create") & (AccessLog.what == "group_visit")
    )
    assert sorted(row["client"] for row in written) == sorted([clients["make"], clients["pete"]])
    # Make's page shows the group's note, which is Pete's data too: Pete's read is logged.
    group_reads = await AccessLog.select(AccessLog.client).where(AccessLog.what == "client_page_group")
    assert {row["client"] for row in group_reads} == {clients["make"], clients["pete"]}


async def test_replays_of_a_group_visit_store_it_once(client, world, clients):
    await login(client, "alice@example.org")
    body = group(clients, "make", "pete", "late")
    answers = await asyncio.gather(*[api(client, "POST", "/api/v1/visits", body) for _ in range(5)])
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 200, 201]
    assert all(a.json()["client_ids"] == sorted(clients[n] for n in ("make", "pete", "late")) for a in answers)
    assert await Visit.count() == 1 and await VisitAttendee.count() == 3
    created = await AccessLog.select(AccessLog.client).where(AccessLog.action == "create")
    assert sorted(row["client"] for row in created) == sorted(clients[n] for n in ("make", "pete", "late"))
    # A replay stores nothing new and answers the author with what they sent: no further rows.
    assert await AccessLog.count().where(AccessLog.what == "api_visit_replay") == 0


async def test_one_foreign_attendee_is_404_for_the_whole_visit_and_nothing_is_stored(client, world, clients):
    await login(client, "alice@example.org")
    answer = await api(client, "POST", "/api/v1/visits", group(clients, "make", "dave_s"))
    assert answer.status_code == 404
    missing = await api(
        client, "POST", "/api/v1/visits", {**group(clients, "make"), "client_ids": [clients["make"], 2_000_000_000]}
    )
    assert missing.status_code == 404 and answer.text == missing.text
    assert await Visit.count() == 0 and await VisitAttendee.count() == 0
    refused = await AccessLog.select(AccessLog.client, AccessLog.outcome).where(AccessLog.outcome == "denied")
    assert [row["client"] for row in refused] == [clients["dave_s"]]  # for team B's lead to see


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"kind": "street"}, "client_ids"),  # several clients only in a group
        ({"next_followup_on": "2026-12-10"}, "next_followup_on"),
        ({"client_ids": ["x"]}, "client_ids"),
        ({"client_ids": [], "anonymous_count": 0}, "client_id"),
    ],
)
async def test_bad_group_visits_are_422_with_the_field(client, world, clients, extra, field):
    await login(client, "alice@example.org")
    answer = await api(client, "POST", "/api/v1/visits", {**group(clients, "make", "pete"), **extra})
    assert answer.status_code == 422, answer.text
    assert field in [error["field"] for error in answer.json()["errors"]]
    assert await Visit.count() == 0


async def test_a_network_meeting_names_the_parties_and_whether_the_client_was_there(client, world, clients):
    await login(client, "alice@example.org")
    body = {
        "id": str(uuid.uuid4()),
        "kind": "network_meeting",
        "client_id": clients["make"],
        "parties": "Aikuissosiaalityö, A-klinikka, yhdyskuntaseuraamustoimisto",
    }
    answer = await api(client, "POST", "/api/v1/visits", body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["client_present"] is True and answer.json()["parties"].startswith("Aikuissosiaalityö")
    absent = await api(client, "POST", "/api/v1/visits", {**body, "id": str(uuid.uuid4()), "client_present": False})
    assert absent.json()["client_present"] is False
    assert sorted(row["client_present"] for row in await VisitMeeting.select()) == [False, True]
    page = await client.get(f"/clients/{clients['make']}")
    assert "Asiakas oli paikalla" in page.text and "Asiakas ei ollut paikalla" in page.text
    for bad, field in (({"parties": ""}, "parties"), ({"client_id": None, "anonymous_count": 2}, "client_id")):
        refused = await api(client, "POST", "/api/v1/visits", {**body, "id": str(uuid.uuid4()), **bad})
        assert refused.status_code == 422 and field in [e["field"] for e in refused.json()["errors"]], refused.text
    assert await Visit.count() == 2


async def test_the_plain_form_logs_a_group_and_a_meeting_without_scripts(client, world, clients):
    await login(client, "alice@example.org")
    form = await client.get(f"/visits/new?client_id={clients['make']}&kind=group")
    assert f'name="client_ids" value="{clients["pete"]}"' in form.text
    assert f'name="client_ids" value="{clients["make"]}"' not in form.text  # Make is the visit's own client
    saved = await post_form(
        client,
        "/visits",
        {
            "mode": "client",
            "client_id": str(clients["make"]),
            "kind": "group",
            "client_ids": str(clients["pete"]),
            "anonymous_count": "2",
            "client_present": "yes",
            "parties": "",
        },
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"/clients/{clients['make']}?saved=visit"
    stored = await VisitAttendee.select(VisitAttendee.client).order_by(VisitAttendee.client)
    assert [row["client"] for row in stored] == sorted([clients["make"], clients["pete"]])
    meeting = await post_form(
        client,
        "/visits",
        {
            "mode": "client",
            "client_id": str(clients["late"]),
            "kind": "network_meeting",
            "parties": "Kela",
            "client_present": "no",
        },
    )
    assert meeting.status_code == 303
    assert (await VisitMeeting.select(VisitMeeting.client_present).first())["client_present"] is False
    bad = await post_form(
        client,
        "/visits",
        {
            "mode": "client",
            "client_id": str(clients["late"]),
            "kind": "network_meeting",
            "parties": "",
            "client_present": "yes",
        },
    )
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text
