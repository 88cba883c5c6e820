"""The pair's day for the phone (GET /api/v1/device/today), the shell pages that show it with no
network, and the pair on every visit (the timeline's names, the hours page's visits)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from server.accounts.tables import Pair
from server.casework.tables import AccessLog, Appointment, FollowUp
from server.offline.field_copy_routes import FIELD_COPY_PAGES
from server.timeutil import local_day_bounds, local_today, utcnow
from tests.support.casework import api, make_client
from tests.support.fixtures import login

pytestmark = pytest.mark.anyio


async def _pair_id() -> int:
    return (await Pair.select(Pair.id).first())["id"]


async def test_the_copy_holds_the_pairs_day_and_only_the_pairs(client, world):
    pair = await _pair_id()
    make = await make_client(
        world.team_a,
        "Make",
        pair,
        phone="040 123 4567",
        release_date=local_today() + timedelta(days=5),
        institution="Vantaan vankila",
    )
    unpaired = await make_client(world.team_a, "Toisen parin", None, phone="050 999")
    other_team = await make_client(world.team_b, "Muu tiimi", None, phone="044 111")
    await make_client(world.team_a, "Suljettu", pair, status="closed")
    start, _end = local_day_bounds(local_today())
    await Appointment.insert(
        Appointment(
            team=world.team_a,
            client=make,
            pair=pair,
            starts_at=utcnow() + timedelta(minutes=30),
            place="Kirjasto",
            with_whom="Kela",
        )
    )
    await FollowUp.insert(
        FollowUp(
            team=world.team_a, client=make, pair=pair, due_at=start - timedelta(days=1), note="Soita asumisneuvojalle"
        )
    )
    await login(client, "alice@example.org")

    response = await client.get("/api/v1/device/today")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    copy = response.json()
    assert [c["pseudonym"] for c in copy["clients"]] == ["Make"]  # not closed, not another pair's or team's
    card = copy["clients"][0]
    assert card["phone"] == "040 123 4567" and card["next_appointment"]["place"] == "Kirjasto"
    assert [f["note"] for f in card["open_followups"]] == ["Soita asumisneuvojalle"]
    assert [a["pseudonym"] for a in copy["appointments"]] == ["Make"]
    assert [f["client_id"] for f in copy["followups"]] == [make]
    assert copy["releases"][0]["client_id"] == make and copy["releases"][0]["institution"] == "Vantaan vankila"
    assert copy["zone"] == "Europe/Helsinki" and datetime.fromisoformat(copy["generated_at"]).tzinfo is not None
    assert datetime.fromisoformat(copy["until"]) > datetime.fromisoformat(copy["generated_at"])  # the session's end
    logged = await AccessLog.select(AccessLog.client).where(AccessLog.what == "device_today")
    assert {row["client"] for row in logged} == {make}  # each client shown, once
    assert unpaired not in {row["client"] for row in logged} and other_team not in {row["client"] for row in logged}


async def test_the_copy_needs_a_session(client, world):
    assert (await client.get("/api/v1/device/today")).status_code == 401


async def test_the_copy_shell_pages_hold_no_personal_data(client, world):
    await make_client(world.team_a, "Salainen Sami", await _pair_id(), phone="040 555")
    await login(client, "alice@example.org")
    for language in ("fi", "sv", "en"):
        for page in FIELD_COPY_PAGES:
            response = await client.get(f"/shell/{language}/{page}")
            assert response.status_code == 200
            assert "Salainen" not in response.text and "040 555" not in response.text and "Alice" not in response.text
            assert f'data-field-copy="{page}"' in response.text
    shell = (await client.get("/sw.json")).json()["shell"]
    assert shell["sv"]["client"] == "/shell/sv/client" and shell["fi"]["caseload"] == "/shell/fi/caseload"


async def test_the_timeline_names_both_members_of_the_pair(client, world):
    make = await make_client(world.team_a, "Make", await _pair_id())
    await login(client, "alice@example.org")
    together = {"id": str(uuid.uuid4()), "client_id": make, "occurred_at": "2026-11-20T10:00:00+02:00"}
    alone = {
        "id": str(uuid.uuid4()),
        "client_id": make,
        "occurred_at": "2026-11-21T10:00:00+02:00",
        "workers": [world.alice],
    }
    for visit in (together, alone):
        assert (await api(client, "POST", "/api/v1/visits", visit)).status_code == 201
    page = await client.get(f"/clients/{make}")
    present = [line for line in page.text.splitlines() if "data-present" in line]
    assert len(present) == 2
    assert "Alice" in present[0] and "Bob" not in present[0]  # newest first: Alice alone
    assert "Alice, Bob" in present[1]


async def test_the_hours_page_offers_visits_the_expert_was_at(client, world):
    make = await make_client(world.team_a, "Make", await _pair_id())
    await login(client, "alice@example.org")
    visit = str(uuid.uuid4())
    when = (utcnow() - timedelta(days=1)).isoformat()
    assert (
        await api(client, "POST", "/api/v1/visits", {"id": visit, "client_id": make, "occurred_at": when})
    ).status_code == 201
    alone = str(uuid.uuid4())
    assert (
        await api(
            client,
            "POST",
            "/api/v1/visits",
            {"id": alone, "client_id": make, "occurred_at": when, "workers": [world.alice]},
        )
    ).status_code == 201
    await client.post("/logout", data={"_csrf_token": client.cookies.get("csrftoken", "")})
    client.cookies.clear()
    await login(client, "bob@example.org")  # the experience expert: Alice logged it, Bob was there
    page = await client.get("/hours")
    assert f"/hours?visit={visit}" in page.text and f"/hours?visit={alone}" not in page.text
    logged = await api(
        client,
        "POST",
        "/api/v1/hours",
        {"date": local_today().isoformat(), "activity": "client_work", "hours": "1", "visit_id": visit},
    )
    assert logged.status_code == 201, logged.text
    refused = await api(
        client,
        "POST",
        "/api/v1/hours",
        {"date": local_today().isoformat(), "activity": "client_work", "hours": "1", "visit_id": alone},
    )
    assert refused.status_code == 422


async def _service_id() -> int:
    from server.services.tables import Service

    rows = await Service.insert(Service(name_fi="Asumisneuvonta", category="housing", phone="09 310 1234"))
    return rows[0]["id"]


async def test_a_referral_from_the_directory_is_made_once_per_phone_made_id(client, world):
    from server.services.tables import Referral

    make = await make_client(world.team_a, "Make", await _pair_id())
    service = await _service_id()
    await login(client, "alice@example.org")
    form = await client.get(f"/services/{service}/refer")
    assert form.status_code == 200 and ">Make</option>" in form.text
    assert f'href="/services/{service}/refer"' in (await client.get(f"/services/{service}")).text
    referral_id = str(uuid.uuid4())
    body = {"id": referral_id, "client_id": make, "service_id": service, "note": "Jonossa"}
    first = await api(client, "POST", "/api/v1/referrals", body)
    again = await api(client, "POST", "/api/v1/referrals", body)  # the answer was lost: sent again
    assert first.status_code == 201 and again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and first.json()["uuid"] == referral_id
    assert await Referral.count().where(Referral.client == make) == 1
    # Without scripts: the plain form, then the client's page.
    token = client.cookies["csrftoken"]
    plain = await client.post(
        f"/services/{service}/refer", data={"_csrf_token": token, "client_id": str(make), "note": "Toinen kerta"}
    )
    assert plain.status_code == 303 and plain.headers["location"] == f"/clients/{make}?saved=referral#referrals"
    assert await Referral.count().where(Referral.client == make) == 2
    missing = await client.post(f"/services/{service}/refer", data={"_csrf_token": token, "client_id": ""})
    assert missing.status_code == 422 and 'aria-invalid="true"' in missing.text


async def test_a_referral_id_or_client_of_another_team_is_refused(client, world):
    make = await make_client(world.team_a, "Make", await _pair_id())
    service = await _service_id()
    await login(client, "alice@example.org")
    referral_id = str(uuid.uuid4())
    assert (
        await api(client, "POST", "/api/v1/referrals", {"id": referral_id, "client_id": make, "service_id": service})
    ).status_code == 201
    client.cookies.clear()
    await login(client, "dave@example.org")
    dave_client = await make_client(world.team_b, "Daven", None)
    taken = await api(
        client, "POST", "/api/v1/referrals", {"id": referral_id, "client_id": dave_client, "service_id": service}
    )
    assert taken.status_code == 409 and "Make" not in taken.text
    token = client.cookies["csrftoken"]
    walled = await client.post(f"/services/{service}/refer", data={"_csrf_token": token, "client_id": str(make)})
    assert walled.status_code == 404
    assert ">Make</option>" not in (await client.get(f"/services/{service}/refer")).text


def test_another_users_entries_are_counted_in_natural_finnish_and_swedish():
    from server.i18n import set_language
    from server.offline.texts import script_texts

    set_language("fi")
    forms = script_texts()["other_users_waiting"]
    assert forms["one"].replace("%(num)d", "1").startswith("1 toisen käyttäjän kirjaus odottaa")
    assert forms["other"].replace("%(num)d", "2").startswith("2 toisen käyttäjän kirjausta odottaa")
    set_language("sv")
    forms = script_texts()["other_users_waiting"]
    assert forms["one"].replace("%(num)d", "1").startswith("1 registrering av en annan användare väntar")
    assert script_texts()["copy_stamp"] == "läget kl. %(time)s"
    set_language("fi")
    assert script_texts()["copy_stamp"] == "tilanne klo %(time)s"
