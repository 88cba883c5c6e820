"""Unicode names and times: §5 #34 and #36–39 of ../shared/research/security.md.

Already proven elsewhere, not repeated here: the wall-clock rules themselves (tests/test_time.py
test_wall_clock_times_in_the_gap_do_not_exist_and_the_double_hour_takes_the_first), a visit in the
autumn's double hour (tests/test_visits.py test_the_autumn_hour_that_happens_twice_is_read_as_the_first),
the release countdown's reminders across the spring change (tests/test_reminder_planning.py
test_the_countdown_keeps_local_time_across_the_spring_dst_change), hours of 1e30
(tests/test_rhythm.py test_hours_that_are_no_whole_minutes_are_refused_not_crashed_on).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from server.accounts.tables import Pair
from server.casework.tables import Appointment, Client
from server.push.tables import Reminder
from tests.support.casework import api, make_client
from tests.support.fixtures import login, post_form
from tests.support.team_a import changes, snapshot

pytestmark = pytest.mark.anyio


@pytest.fixture
async def pair(world) -> int:
    return (await Pair.select(Pair.id).first())["id"]


# -- #34: names -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("Matti\u202egnp.exe", "Mattignp.exe"),  # a right-to-left override is removed (Trojan source)
        ("\u2067Matti\u2069", "Matti"),  # so are the isolates
        ("A\u0308ijä", "Äijä"),  # combining marks become one letter (NFC)
        ("👩\u200d👩\u200d👧 Perhe", "👩\u200d👩\u200d👧 Perhe"),  # a joined emoji stays as typed
        ("Áŋŋá", "Áŋŋá"),  # Sámi letters
        ("שלום Kettu", "שלום Kettu"),  # right-to-left letters are letters
        ("K", "K"),  # one letter is a name
        ("Ä" * 80, "Ä" * 80),  # the limit is 80 code points, not bytes
        ("  Make\t  Kettu ", "Make Kettu"),  # spaces tidied
    ],
)
async def test_names_are_stored_as_typed_in_nfc_without_bidi_controls(client, world, pair, typed, stored):
    await login(client, "alice@example.org")
    created = await api(client, "POST", "/api/v1/clients", {"pseudonym": typed, "pair_id": pair})
    assert created.status_code == 201, created.text
    assert created.json()["pseudonym"] == stored
    assert (await Client.select(Client.pseudonym).first())["pseudonym"] == stored
    page = await client.get(f"/clients/{created.json()['id']}")
    assert stored.replace("&", "&amp;") in page.text and "\u202e" not in page.text


@pytest.mark.parametrize(
    "typed", ["", "   ", "\u00a0\u3000", "\t\n", "Ä" * 81, "x" * 300, "\u200b\u200b", "\u202e\u202c"]
)
async def test_blank_and_overlong_names_are_refused(client, world, pair, typed):
    await login(client, "alice@example.org")
    before = await snapshot()
    response = await api(client, "POST", "/api/v1/clients", {"pseudonym": typed, "pair_id": pair})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["pseudonym"]
    form = await post_form(client, "/clients/new", {"pseudonym": typed, "pair_id": str(pair)})
    assert form.status_code == 422
    assert changes(before, await snapshot()) == {}


@pytest.mark.parametrize("query", ["Äijä", "A\u0308ija\u0308", "äijä", "ÄIJÄ"])
async def test_search_finds_a_letter_whichever_way_it_was_typed(client, world, pair, query):
    await make_client(world.team_a, "A\u0308ijä", pair)  # stored with its combining mark, as an import might
    await make_client(world.team_a, "Make", pair)
    await login(client, "alice@example.org")
    found = (await api(client, "POST", "/api/v1/clients/search", {"q": query})).json()
    assert found["total"] == 1


# -- #36, #37: the hours that do not exist and the one that happens twice ------------------------------


async def test_an_appointment_in_the_spring_gap_is_refused_by_the_documented_rule(client, world, pair):
    """#36. The rule (server/validation.py Reader.moment, README): a Helsinki wall-clock
    time inside the spring-forward gap does not exist and is refused with a field error; a time with
    an offset is an instant and is stored as UTC."""
    client_id = await make_client(world.team_a, "Make", pair)
    await login(client, "alice@example.org")
    for day in ("2025-03-30", "2027-03-28"):  # last Sundays of March: 03:00 jumps to 04:00
        refused = await api(
            client, "POST", "/api/v1/appointments", {"client_id": client_id, "starts_at": f"{day}T03:30"}
        )
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "starts_at"
    assert await Appointment.count() == 0
    with_offset = await api(
        client, "POST", "/api/v1/appointments", {"client_id": client_id, "starts_at": "2027-03-28T03:30+03:00"}
    )
    assert with_offset.status_code == 201 and with_offset.json()["starts_at"] == "2027-03-28T00:30:00Z"


async def test_an_appointment_in_the_autumn_double_hour_is_stored_once_and_reminds_once(client, world, pair):
    """#37. 03:30 on the last Sunday of October happens twice; the first (summer time, +03:00) is
    taken, stored in UTC, and its reminder to the pair is planned once."""
    client_id = await make_client(world.team_a, "Make", pair)
    await login(client, "alice@example.org")
    created = await api(
        client,
        "POST",
        "/api/v1/appointments",
        {"client_id": client_id, "starts_at": "2027-10-31T03:30", "remind_client": False},
    )
    assert created.status_code == 201
    assert created.json()["starts_at"] == "2027-10-31T00:30:00Z"
    second = await api(
        client, "POST", "/api/v1/appointments", {"client_id": client_id, "starts_at": "2027-10-31T03:30+02:00"}
    )  # the second one, by offset
    assert second.json()["starts_at"] == "2027-10-31T01:30:00Z"
    reminders = await Reminder.select(Reminder.event_at, Reminder.due_at).where(
        (Reminder.client == client_id) & (Reminder.kind == "appointment")
    )
    events = sorted(row["event_at"] for row in reminders)
    assert events == [datetime(2027, 10, 31, 0, 30, tzinfo=UTC), datetime(2027, 10, 31, 1, 30, tzinfo=UTC)]
    assert all(row["event_at"] - row["due_at"] == timedelta(hours=1) for row in reminders)


# -- #38: days until release ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "now_utc, days",
    [
        (datetime(2027, 3, 27, 21, 30, tzinfo=UTC), 7),  # 23:30 in Helsinki on the 27th
        (datetime(2027, 3, 27, 22, 30, tzinfo=UTC), 6),  # 00:30 on the 28th (still the 27th in UTC)
        (datetime(2027, 3, 28, 21, 30, tzinfo=UTC), 5),  # 00:30 on the 29th, after the clocks moved (+03:00)
    ],
)
async def test_days_until_release_count_helsinki_calendar_days(client, world, pair, monkeypatch, now_utc, days):
    """#38: the home page's countdown counts calendar days in Europe/Helsinki, across the DST change."""
    from server import timeutil

    await make_client(world.team_a, "Make", pair, release_date=date(2027, 4, 3), institution="Sukevan vankila")
    await login(client, "alice@example.org")
    monkeypatch.setattr(timeutil, "utcnow", lambda: now_utc)
    await client.post("/language", data={"language": "en", "_csrf_token": client.cookies["csrftoken"]})
    page = await client.get("/")
    assert page.status_code == 200
    badge = re.search(r'class="badge badge--\w+">\s*([^<]+?)\s*<', page.text.split('id="releases-h"', 1)[1])
    assert badge and badge.group(1) == f"{days} days"


# -- #39: dates that are not dates ------------------------------------------------------------------------


async def raw_json(client, path: str, body: dict):
    """POST JSON as a phone could send it: 1e309 written out as the number it is (Python's
    encoder refuses to write infinity, a parser reads it as one)."""
    text = json.dumps({k: ("__1e309__" if v == 1e309 else v) for k, v in body.items()}).replace('"__1e309__"', "1e309")
    return await client.post(
        path, content=text, headers={"content-type": "application/json", "x-csrftoken": client.cookies["csrftoken"]}
    )


@pytest.mark.parametrize(
    "field, value",
    [
        ("release_date", "2025-02-29"),
        ("release_date", "0001-01-01"),
        ("release_date", "9999-12-31"),
        ("release_date", "2025-13-01"),
        ("release_date", 1e309),
        ("release_date", "1e309"),
        ("birth_year", 1e309),
        ("birth_year", "1e309"),
        ("birth_year", -1990),
        ("birth_year", 2.5),
    ],
)
async def test_impossible_dates_and_numbers_are_refused(client, world, pair, field, value):
    await login(client, "alice@example.org")
    before = await snapshot()
    response = await raw_json(client, "/api/v1/clients", {"pseudonym": "Make", "pair_id": pair, field: value})
    assert response.status_code == 422, response.text
    assert changes(before, await snapshot()) == {}


@pytest.mark.parametrize(
    "body",
    [
        {"starts_at": "2025-02-29T10:00"},
        {"starts_at": "0001-01-01T10:00"},
        {"starts_at": "9999-12-31T23:59"},
        {"starts_at": "2025-13-01T10:00"},
        {"starts_at": 1e309},
        {"starts_at": "2026-11-25T25:00"},
    ],
)
async def test_impossible_appointment_times_are_refused(client, world, pair, body):
    client_id = await make_client(world.team_a, "Make", pair)
    await login(client, "alice@example.org")
    response = await raw_json(client, "/api/v1/appointments", {"client_id": client_id, **body})
    assert response.status_code == 422
    assert await Appointment.count() == 0


@pytest.mark.parametrize("hours", [-1, "-0,5", 1e309, "1e309", 0])
async def test_negative_or_endless_hours_are_refused(client, world, hours):
    from server.rhythm.tables import HoursEntry
    from server.timeutil import local_today

    await login(client, "bob@example.org")
    response = await raw_json(
        client, "/api/v1/hours", {"date": local_today().isoformat(), "activity": "street_work", "hours": hours}
    )
    assert response.status_code == 422
    assert await HoursEntry.count() == 0
