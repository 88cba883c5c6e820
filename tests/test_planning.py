"""Follow-ups, appointments and their calendar files, behind the same walls."""

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from server.accounts.tables import Pair
from server.casework.tables import Appointment, FollowUp
from tests.support.casework import api, make_client
from tests.support.fixtures import login, post_form

pytestmark = pytest.mark.anyio


@pytest.fixture
async def make(world):
    pair = await Pair.select(Pair.id).first()
    return await make_client(world.team_a, "Make", pair["id"])


async def test_a_followup_is_made_and_ticked_done_and_undone(client, world, make):
    await login(client, "alice@example.org")
    created = await api(
        client,
        "POST",
        "/api/v1/followups",
        {"client_id": make, "due_at": "2026-11-24T09:00:00+02:00", "note": "Soita Kelaan"},
    )
    assert created.status_code == 201
    followup = created.json()
    assert followup["due_at"] == "2026-11-24T07:00:00Z" and followup["done"] is False
    done = await api(client, "PATCH", f"/api/v1/followups/{followup['id']}", {"done": True})
    assert done.json()["done"] is True
    undone = await api(client, "PATCH", f"/api/v1/followups/{followup['id']}", {"done": False})
    assert undone.json()["done"] is False


async def test_ticking_a_followup_with_htmx_swaps_only_its_row(client, world, make):
    await login(client, "alice@example.org")
    followup = (
        await api(
            client,
            "POST",
            "/api/v1/followups",
            {"client_id": make, "due_at": "2026-11-20T09:00", "note": "Vie liitteet"},
        )
    ).json()
    response = await client.post(
        f"/followups/{followup['id']}/done",
        headers={"HX-Request": "true"},
        data={"_csrf_token": client.cookies["csrftoken"], "show_client": "1"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith(
        f'<li class="list-item followup followup--done" id="followup-{followup["id"]}"'
    )
    assert "Make" in response.text
    row = await FollowUp.select(FollowUp.done_at, FollowUp.done_by).first()
    assert row["done_at"] is not None and row["done_by"] == world.alice
    plain = await post_form(client, f"/followups/{followup['id']}/undone", {"next": f"/clients/{make}"})
    assert plain.status_code == 303 and plain.headers["location"] == f"/clients/{make}"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"due_at": "2026-11-24T09:00", "note": ""}, "note"),
        ({"due_at": "tomorrow", "note": "x"}, "due_at"),
        ({"note": "x"}, "due_at"),
    ],
)
async def test_bad_followups_are_refused(client, world, make, body, field):
    await login(client, "alice@example.org")
    response = await api(client, "POST", "/api/v1/followups", {"client_id": make, **body})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == field
    assert await FollowUp.count() == 0


async def test_an_appointment_downloads_as_ics_without_the_clients_name(client, world, make):
    await login(client, "alice@example.org")
    created = await api(
        client,
        "POST",
        "/api/v1/appointments",
        {
            "client_id": make,
            "starts_at": "2026-12-01T10:30",
            "place": "Kela, Sörnäinen",
            "with_whom": "Kela",
            "remind_client": True,
        },
    )
    assert created.status_code == 201
    appointment = created.json()
    assert appointment["starts_at"] == "2026-12-01T08:30:00Z" and appointment["remind_client"] is True
    ics = await client.get(f"/api/v1/appointments/{appointment['id']}.ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    assert "attachment" in ics.headers["content-disposition"]
    event = next(c for c in Calendar.from_ical(ics.content).walk() if c.name == "VEVENT")
    assert event.decoded("dtstart") == datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    assert b"DTSTART:20261201T083000Z" in ics.content
    assert b"Make" not in ics.content and b"Kela" not in ics.content
    assert (await client.get("/api/v1/appointments/abc.ics")).status_code == 404
    assert (await client.get(f"/api/v1/appointments/{appointment['id']}")).status_code == 404


async def test_the_private_calendar_feed_shows_the_pairs_appointments_until_revoked(client, world, make):
    from server.accounts.services import add_pair, add_user

    await add_user("dan@example.org", "experience_expert", "correct horse battery staple", "Team B", "Dan")
    team_b_pair = await add_pair("dave@example.org", "dan@example.org")
    other = await make_client(world.team_b, "Vantaan Ville", team_b_pair)
    await Appointment.insert(
        Appointment(team=world.team_b, client=other, pair=team_b_pair, starts_at=datetime.now(UTC) + timedelta(days=1))
    )
    await login(client, "bob@example.org")
    await api(client, "POST", "/api/v1/appointments", {"client_id": make, "starts_at": "2026-12-02T12:00"})
    page = await post_form(client, "/settings/calendar")
    feed_url = page.text.split("/calendar/", 1)[1].split('"', 1)[0]
    assert feed_url.endswith(".ics")
    client.cookies.clear()  # a calendar app has no session: the token is the only key
    anonymous = await client.get(f"/calendar/{feed_url}")
    assert anonymous.status_code == 200
    events = [c for c in Calendar.from_ical(anonymous.content).walk() if c.name == "VEVENT"]
    assert len(events) == 1  # the pair's appointment, not team B's
    assert (await client.get("/calendar/not-a-token.ics")).status_code == 404
    await login(client, "bob@example.org")
    await post_form(client, "/settings/calendar/revoke")
    assert (await client.get(f"/calendar/{feed_url}")).status_code == 404


async def test_everything_of_another_teams_client_answers_404(client, world, make):
    await login(client, "alice@example.org")
    followup = (
        await api(client, "POST", "/api/v1/followups", {"client_id": make, "due_at": "2026-11-24T09:00", "note": "x"})
    ).json()
    appointment = (
        await api(client, "POST", "/api/v1/appointments", {"client_id": make, "starts_at": "2026-12-01T10:30"})
    ).json()
    visit = (
        await api(client, "POST", "/api/v1/visits", {"id": "0b6f8f52-2f43-4a4e-9d9a-6d0b8f7f7f7f", "client_id": make})
    ).json()
    await post_form(client, "/logout")
    await login(client, "dave@example.org")
    gets = [
        f"/clients/{make}",
        f"/clients/{make}/edit",
        f"/api/v1/clients/{make}",
        f"/api/v1/visits?client_id={make}",
        f"/api/v1/visits/{visit['id']}",
        f"/api/v1/appointments/{appointment['id']}.ics",
        f"/appointments/{appointment['id']}.ics",
        f"/visits/new?client_id={make}",
    ]
    for path in gets[:-1]:
        assert (await client.get(path)).status_code == 404, path
    assert "Make" not in (await client.get(gets[-1])).text
    writes = [
        ("PATCH", f"/api/v1/clients/{make}", {"pseudonym": "x"}),
        ("PATCH", f"/api/v1/followups/{followup['id']}", {"done": True}),
        ("POST", "/api/v1/followups", {"client_id": make, "due_at": "2026-11-24T09:00", "note": "x"}),
        ("POST", "/api/v1/appointments", {"client_id": make, "starts_at": "2026-12-01T10:30"}),
    ]
    for method, path, body in writes:
        assert (await api(client, method, path, body)).status_code == 404, path
    for path in (
        f"/followups/{followup['id']}/done",
        f"/clients/{make}/edit",
        f"/clients/{make}/followups",
        f"/clients/{make}/appointments",
    ):
        response = await post_form(
            client, path, {"pseudonym": "x", "due_at": "2026-11-24T09:00", "note": "x", "starts_at": "2026-12-01T10:30"}
        )
        assert response.status_code == 404, path
    assert await FollowUp.count() == 1 and await Appointment.count() == 1
    row = await FollowUp.select(FollowUp.done_at).first()
    assert row["done_at"] is None


async def test_a_bad_followup_on_the_client_page_shows_the_error_and_keeps_the_text(client, world, make):
    await login(client, "alice@example.org")
    response = await post_form(client, f"/clients/{make}/followups", {"due_at": "", "note": "Soita <Kelaan>"})
    assert response.status_code == 422
    assert "Tämä kenttä on pakollinen" in response.text and 'value="Soita &lt;Kelaan&gt;"' in response.text
    assert await FollowUp.count() == 0
    ok = await post_form(client, f"/clients/{make}/followups", {"due_at": "2026-11-25T09:00", "note": "Soita"})
    assert ok.status_code == 303 and await FollowUp.count() == 1


async def test_followups_and_appointments_are_listed_within_the_walls(client, world, make):
    other = await make_client(world.team_b, "Vantaan Ville")
    await FollowUp.insert(FollowUp(team=world.team_b, client=other, due_at=datetime.now(UTC), note="B"))
    await login(client, "alice@example.org")
    await api(client, "POST", "/api/v1/followups", {"client_id": make, "due_at": "2026-11-24T09:00", "note": "A1"})
    done = (
        await api(client, "POST", "/api/v1/followups", {"client_id": make, "due_at": "2026-11-25T09:00", "note": "A2"})
    ).json()
    await api(client, "PATCH", f"/api/v1/followups/{done['id']}", {"done": True})
    await api(client, "POST", "/api/v1/appointments", {"client_id": make, "starts_at": "2026-12-01T10:30"})
    listed = (await client.get("/api/v1/followups")).json()
    assert [f["note"] for f in listed["items"]] == ["A1", "A2"]
    open_only = (await client.get(f"/api/v1/followups?client_id={make}&done=false")).json()
    assert [f["note"] for f in open_only["items"]] == ["A1"]
    assert (await client.get("/api/v1/appointments")).json()["total"] == 1
    assert (await client.get(f"/api/v1/followups?client_id={other}")).status_code == 404
