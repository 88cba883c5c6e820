"""Referrals: forward-only statuses, the week-later follow-up, team walls, the client page."""

import uuid
from datetime import timedelta

import pytest

from server.accounts.tables import Pair
from server.casework.tables import FollowUp
from server.services.directory import load_national_services
from server.services.tables import Referral, Service
from server.timeutil import local_today, to_local
from tests.support.casework import api, make_client
from tests.support.fixtures import login, post_form

pytestmark = pytest.mark.anyio


@pytest.fixture
async def setting(world):
    await load_national_services()
    pair = await Pair.select(Pair.id).first()
    client_id = await make_client(world.team_a, "Make", pair["id"])
    service = await Service.select(Service.id).where(Service.key == "ehyt-paihdeneuvonta").first()
    return client_id, service["id"]


async def refer(client, client_id, service_id, **extra):
    return await api(client, "POST", "/api/v1/referrals", {"client_id": client_id, "service_id": service_id, **extra})


async def test_a_referral_comes_with_a_follow_up_a_week_later(client, world, setting):
    client_id, service_id = setting
    await login(client, "alice@example.org")
    created = await refer(client, client_id, service_id, note="Soittaa maanantaina")
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "referred" and body["service_name"].startswith("EHYT")
    assert body["next_steps"] == ["contacted", "attended", "not_attended", "cancelled"]
    followup = await FollowUp.select().where(FollowUp.id == body["followup_id"]).first()
    due = to_local(followup["due_at"])
    assert due.date() == local_today() + timedelta(days=7) and due.hour == 9
    assert followup["client"] == client_id and followup["done_at"] is None


async def test_statuses_move_forward_only_and_an_outcome_answers_the_follow_up(client, world, setting):
    client_id, service_id = setting
    await login(client, "alice@example.org")
    referral = (await refer(client, client_id, service_id)).json()
    path = f"/api/v1/referrals/{referral['id']}"
    assert (await api(client, "PATCH", path, {"status": "visited"})).status_code == 422
    contacted = await api(client, "PATCH", path, {"status": "contacted"})
    again = await api(client, "PATCH", path, {"status": "contacted"})  # a double tap, a resent request
    assert contacted.status_code == again.status_code == 200 and again.json() == contacted.json()
    assert (await api(client, "PATCH", path, {"status": "referred"})).status_code == 409
    attended = await api(client, "PATCH", path, {"status": "attended"})
    assert attended.status_code == 200 and attended.json()["closed_on"] == str(local_today())
    assert attended.json()["next_steps"] == []
    for back in ("contacted", "not_attended", "cancelled"):
        refused = await api(client, "PATCH", path, {"status": back})
        assert refused.status_code == 409, back
    followup = await FollowUp.select(FollowUp.done_at).where(FollowUp.id == referral["followup_id"]).first()
    assert followup["done_at"] is not None


async def test_unknown_services_clients_and_foreign_visits_are_refused(client, world, setting):
    client_id, service_id = setting
    await login(client, "alice@example.org")
    unknown = await refer(client, client_id, 999999)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "service_id"
    assert (await refer(client, 999999, service_id)).status_code == 404
    other = await make_client(world.team_a, "Toinen", None)
    visit = {"id": str(uuid.uuid4()), "client_id": other, "kind": "street"}
    assert (await api(client, "POST", "/api/v1/visits", visit)).status_code == 201
    wrong_visit = await refer(client, client_id, service_id, visit_id=visit["id"])
    assert wrong_visit.status_code == 422 and wrong_visit.json()["errors"][0]["field"] == "visit_id"
    assert await Referral.count() == 0 and await FollowUp.count() == 0  # nothing half-stored


async def test_another_teams_referrals_are_behind_the_wall(client, world, setting):
    client_id, service_id = setting
    await login(client, "alice@example.org")
    referral = (await refer(client, client_id, service_id)).json()
    await client.post("/logout", headers={"x-csrftoken": client.cookies["csrftoken"]})
    await login(client, "dave@example.org")
    assert (await client.get(f"/api/v1/referrals/{referral['id']}")).status_code == 404
    assert (
        await api(client, "PATCH", f"/api/v1/referrals/{referral['id']}", {"status": "cancelled"})
    ).status_code == 404
    assert (await refer(client, client_id, service_id)).status_code == 404
    assert (await client.get("/api/v1/referrals", params={"client_id": client_id})).status_code == 404


async def test_client_page_refers_and_moves_a_referral_without_scripts(client, world, setting):
    client_id, service_id = setting
    await login(client, "alice@example.org")
    bad = await post_form(client, f"/clients/{client_id}/referrals", {"service_id": ""})
    assert bad.status_code == 422 and 'id="service_id"' in bad.text
    made = await post_form(client, f"/clients/{client_id}/referrals", {"service_id": service_id, "note": "<b>x</b>"})
    assert made.status_code == 303
    page = await client.get(f"/clients/{client_id}")
    assert "EHYT" in page.text and "&lt;b&gt;x&lt;/b&gt;" in page.text
    referral = await Referral.select(Referral.id).first()
    moved = await post_form(client, f"/referrals/{referral['id']}/status", {"status": "contacted"})
    assert moved.status_code == 303
    assert (await Referral.select(Referral.status).first())["status"] == "contacted"
    open_list = (await client.get("/api/v1/referrals", params={"client_id": client_id, "open_only": "true"})).json()
    assert [item["status"] for item in open_list["items"]] == ["contacted"]


async def test_a_visit_can_refer_once_even_when_it_is_sent_again(client, world, setting):
    client_id, service_id = setting
    await login(client, "alice@example.org")
    visit = {
        "id": str(uuid.uuid4()),
        "client_id": client_id,
        "kind": "street",
        "refer_service_id": service_id,
        "referral_note": "Lähtee huomenna",
    }
    assert (await api(client, "POST", "/api/v1/visits", visit)).status_code == 201
    assert (await api(client, "POST", "/api/v1/visits", visit)).status_code == 200  # a resend
    referrals = (await client.get("/api/v1/referrals", params={"client_id": client_id})).json()["items"]
    assert len(referrals) == 1
    assert referrals[0]["visit_id"] == visit["id"] and referrals[0]["note"] == "Lähtee huomenna"
    assert await FollowUp.count() == 1


async def test_a_visit_referring_to_an_unknown_service_stores_nothing(client, world, setting):
    client_id, _service_id = setting
    await login(client, "alice@example.org")
    from server.casework.tables import Visit

    bad = {"id": str(uuid.uuid4()), "client_id": client_id, "refer_service_id": 999999}
    answer = await api(client, "POST", "/api/v1/visits", bad)
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "refer_service_id"
    anonymous = {"id": str(uuid.uuid4()), "anonymous_count": 2, "refer_service_id": _service_id}
    assert (await api(client, "POST", "/api/v1/visits", anonymous)).status_code == 422
    assert await Visit.count() == 0 and await Referral.count() == 0
    malformed = await refer(client, client_id, _service_id, visit_id="not-a-uuid")
    assert malformed.status_code == 422 and malformed.json()["errors"][0]["field"] == "visit_id"


async def test_a_visit_with_a_referral_and_a_follow_up_names_its_own_follow_up(client, world, setting):
    client_id, service_id = setting
    await login(client, "alice@example.org")
    visit = {
        "id": str(uuid.uuid4()),
        "client_id": client_id,
        "refer_service_id": service_id,
        "next_followup_on": str(local_today() + timedelta(days=2)),
        "followup_note": "Soita",
    }
    first = await api(client, "POST", "/api/v1/visits", visit)
    again = await api(client, "POST", "/api/v1/visits", visit)
    assert first.json()["followup_id"] == again.json()["followup_id"]
    own = await FollowUp.select(FollowUp.note).where(FollowUp.id == first.json()["followup_id"]).first()
    assert own["note"] == "Soita"
    assert await FollowUp.count() == 2  # the visit's own, and the referral's week-later question


async def test_a_referral_note_without_a_service_is_refused_not_dropped(client, world, setting):
    client_id, _service_id = setting
    await login(client, "alice@example.org")
    visit = {"id": str(uuid.uuid4()), "client_id": client_id, "referral_note": "Huomenna klo 10"}
    answer = await api(client, "POST", "/api/v1/visits", visit)
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "refer_service_id"


async def test_the_same_referral_sent_twice_is_made_once(client, world, setting):
    client_id, service_id = setting
    await login(client, "alice@example.org")
    form = {"service_id": service_id, "note": "Huomenna"}
    for _ in range(2):  # a double tap on a weak signal
        assert (await post_form(client, f"/clients/{client_id}/referrals", form)).status_code == 303
    assert await Referral.count() == 1 and await FollowUp.count() == 1
    other_note = await post_form(client, f"/clients/{client_id}/referrals", {**form, "note": "Toinen asia"})
    assert other_note.status_code == 303 and await Referral.count() == 2  # a different referral is made
