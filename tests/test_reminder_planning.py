"""Reminder planning: which reminders the casework calls for, when, and never late in a burst."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.push import planner
from server.push.planner import after_quiet_hours, drop_passed, release_reminders
from server.push.rules import DEFAULT_RULES, Rules, read_rules, save_rules
from server.push.tables import Reminder
from server.settings import get_settings
from server.timeutil import utcnow
from tests.support.casework import api, make_client, patch_client
from tests.support.fixtures import login

HELSINKI = ZoneInfo("Europe/Helsinki")
pytestmark = pytest.mark.anyio


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=HELSINKI)


@pytest.fixture
def quiet(monkeypatch):
    """Set REMINDER_QUIET_HOURS for the planner (None = no quiet hours)."""

    def set_hours(hours):
        changed = dataclasses.replace(get_settings(), quiet_hours=hours)
        monkeypatch.setattr(planner, "get_settings", lambda: changed)

    return set_hours


# -- pure rules ---------------------------------------------------------------------------------


def test_the_release_countdown_is_30_14_7_1_days_before_and_the_day_itself():
    planned = release_reminders(7, date(2027, 6, 30), DEFAULT_RULES)
    assert [(p.dedupe_key, p.due_at.astimezone(HELSINKI)) for p in planned] == [
        ("release:7:2027-06-30:30d", local(2027, 5, 31, 9)),
        ("release:7:2027-06-30:14d", local(2027, 6, 16, 9)),
        ("release:7:2027-06-30:7d", local(2027, 6, 23, 9)),
        ("release:7:2027-06-30:1d", local(2027, 6, 29, 9)),
        ("release:7:2027-06-30:0d", local(2027, 6, 30, 7)),
    ]
    assert [p.urgent for p in planned] == [False, False, False, False, True]
    assert all(p.event_at == local(2027, 7, 1).astimezone(UTC) for p in planned)


def test_the_countdown_keeps_local_time_across_the_spring_dst_change():
    # Summer time starts on Sunday 28 March 2027 at 03:00 in Helsinki (UTC+2 → UTC+3).
    planned = {p.dedupe_key.rsplit(":", 1)[1]: p.due_at for p in release_reminders(1, date(2027, 3, 29), DEFAULT_RULES)}
    assert planned["7d"] == datetime(2027, 3, 22, 7, tzinfo=UTC)  # 09:00 EET
    assert planned["1d"] == datetime(2027, 3, 28, 6, tzinfo=UTC)  # 09:00 EEST, on the change day
    assert planned["0d"] == datetime(2027, 3, 29, 4, tzinfo=UTC)  # 07:00 EEST


def test_quiet_hours_hold_a_reminder_until_the_morning_in_local_time(quiet):
    quiet((21, 8))
    assert after_quiet_hours(local(2027, 6, 1, 22, 30)) == local(2027, 6, 2, 8)
    assert after_quiet_hours(local(2027, 6, 2, 6, 15)) == local(2027, 6, 2, 8)
    assert after_quiet_hours(local(2027, 6, 2, 12, 0)) == local(2027, 6, 2, 12)
    # Autumn DST change (31 Oct 2027, 04:00 → 03:00): the morning is still 08:00 local.
    held = after_quiet_hours(local(2027, 10, 30, 23, 0))
    assert held == local(2027, 10, 31, 8) and held.astimezone(UTC).hour == 6
    quiet((1, 5))  # a window that does not cross midnight
    assert after_quiet_hours(local(2027, 6, 2, 3, 0)) == local(2027, 6, 2, 5)
    assert after_quiet_hours(local(2027, 6, 2, 23, 0)) == local(2027, 6, 2, 23)
    quiet(None)
    assert after_quiet_hours(local(2027, 6, 1, 23, 30)) == local(2027, 6, 1, 23, 30)


def test_of_the_moments_already_passed_only_the_latest_goes_and_only_while_the_event_lies_ahead():
    now = local(2027, 6, 23, 12).astimezone(UTC)  # release in 7 days, added today at noon
    planned = drop_passed(release_reminders(3, date(2027, 6, 30), DEFAULT_RULES), now)
    assert sorted((p.dedupe_key.rsplit(":", 1)[1], p.due_at) for p in planned) == sorted(
        [
            ("7d", now),  # 30d, 14d and 7d had passed: only 7d, at once
            ("1d", local(2027, 6, 29, 9).astimezone(UTC)),
            ("0d", local(2027, 6, 30, 7).astimezone(UTC)),
        ]
    )
    after = local(2027, 7, 1, 0, 5).astimezone(UTC)  # the release day is over
    assert drop_passed(release_reminders(3, date(2027, 6, 30), DEFAULT_RULES), after) == []


def test_a_quiet_team_rule_set_changes_what_is_planned():
    rules = Rules(release_days=(2, 0))
    assert [p.dedupe_key for p in release_reminders(1, date(2027, 6, 30), rules)] == [
        "release:1:2027-06-30:2d",
        "release:1:2027-06-30:0d",
    ]


# -- planned from the casework -----------------------------------------------------------------


async def _keys(client_id: int, state: str = "pending") -> dict[str, datetime]:
    rows = await Reminder.select(Reminder.dedupe_key, Reminder.due_at).where(
        (Reminder.client == client_id) & (Reminder.state == state)
    )
    return {row["dedupe_key"]: row["due_at"] for row in rows}


async def test_setting_a_release_date_plans_the_countdown_and_moving_it_replans(client, world, quiet):
    quiet(None)
    await login(client, "alice@example.org")
    release = (utcnow().astimezone(HELSINKI) + timedelta(days=40)).date()
    response = await api(client, "POST", "/api/v1/clients", {"pseudonym": "Kettu", "release_date": release.isoformat()})
    client_id = response.json()["id"]
    assert sorted(k.rsplit(":", 1)[1] for k in await _keys(client_id)) == ["0d", "14d", "1d", "30d", "7d"]
    moved = release + timedelta(days=5)
    await patch_client(client, client_id, {"release_date": moved.isoformat()})
    assert {k.split(":")[2] for k in await _keys(client_id)} == {moved.isoformat()}
    assert len(await _keys(client_id, "cancelled")) == 5
    await patch_client(client, client_id, {"status": "closed"})
    assert await _keys(client_id) == {}


async def test_a_client_added_a_week_before_release_gets_one_reminder_now_not_three(client, world, quiet):
    quiet(None)
    await login(client, "alice@example.org")
    release = (utcnow().astimezone(HELSINKI) + timedelta(days=6)).date()
    client_id = (
        await api(client, "POST", "/api/v1/clients", {"pseudonym": "Kettu", "release_date": release.isoformat()})
    ).json()["id"]
    keys = await _keys(client_id)
    assert sorted(k.rsplit(":", 1)[1] for k in keys) == ["0d", "1d", "7d"]
    assert keys[f"release:{client_id}:{release.isoformat()}:7d"] <= utcnow()
    # Planning again (any edit) does not send the passed one again once it went.
    await Reminder.update({Reminder.state: "sent"}).where(Reminder.dedupe_key.like("%:7d"))
    await patch_client(client, client_id, {"phone": "040 123"})
    assert sorted(k.rsplit(":", 1)[1] for k in await _keys(client_id)) == ["0d", "1d"]


async def test_an_appointment_reminds_the_pair_an_hour_before_and_a_willing_client_a_day_and_two_hours_before(
    client, world, quiet
):
    quiet(None)
    await login(client, "alice@example.org")
    client_id = await make_client(world.team_a, "Kettu")
    starts = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    body = {"client_id": client_id, "starts_at": starts.isoformat(), "place": "Kela", "remind_client": True}
    appointment_id = (await api(client, "POST", "/api/v1/appointments", body)).json()["id"]
    rows = await Reminder.select(Reminder.kind, Reminder.audience, Reminder.due_at, Reminder.event_at).where(
        Reminder.subject_id == appointment_id
    )
    assert sorted((r["audience"], starts - r["due_at"]) for r in rows) == [
        ("client", timedelta(hours=2)),
        ("client", timedelta(hours=24)),
        ("pair", timedelta(hours=1)),
    ]
    assert all(r["event_at"] == starts for r in rows)


async def test_an_appointment_booked_for_the_same_afternoon_reminds_the_client_once_now(client, world, quiet):
    quiet(None)
    await login(client, "alice@example.org")
    client_id = await make_client(world.team_a, "Kettu")
    starts = (utcnow() + timedelta(minutes=90)).replace(microsecond=0)
    body = {"client_id": client_id, "starts_at": starts.isoformat(), "remind_client": True}
    appointment_id = (await api(client, "POST", "/api/v1/appointments", body)).json()["id"]
    rows = await Reminder.select(Reminder.dedupe_key, Reminder.due_at, Reminder.urgent).where(
        Reminder.subject_id == appointment_id
    )
    by_kind = {r["dedupe_key"].rsplit(":", 1)[1]: r for r in rows}
    assert set(by_kind) == {"client2h", "pair60m"}  # 24 h and 2 h had both passed: one, now
    assert by_kind["client2h"]["due_at"] <= utcnow()
    assert by_kind["pair60m"]["due_at"] == starts - timedelta(hours=1) and by_kind["pair60m"]["urgent"]


async def test_a_followup_reminds_at_its_due_time_and_not_once_done(client, world, quiet):
    quiet(None)
    await login(client, "alice@example.org")
    client_id = await make_client(world.team_a, "Kettu")
    due = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    followup = (
        await api(
            client,
            "POST",
            "/api/v1/followups",
            {"client_id": client_id, "due_at": due.isoformat(), "note": "Soita Kelaan"},
        )
    ).json()
    assert list((await _keys(client_id)).values()) == [due]
    await api(client, "PATCH", f"/api/v1/followups/{followup['id']}", {"done": True})
    assert await _keys(client_id) == {}


async def test_a_followup_due_in_quiet_hours_waits_for_the_morning(client, world, quiet):
    quiet((21, 8))
    await login(client, "alice@example.org")
    client_id = await make_client(world.team_a, "Kettu")
    day = (utcnow().astimezone(HELSINKI) + timedelta(days=3)).date()
    due = datetime.combine(day, datetime.min.time(), tzinfo=HELSINKI).replace(hour=22, minute=30)
    await api(client, "POST", "/api/v1/followups", {"client_id": client_id, "due_at": due.isoformat(), "note": "x"})
    [held] = (await _keys(client_id)).values()
    assert held.astimezone(HELSINKI) == datetime.combine(
        day + timedelta(days=1), datetime.min.time(), tzinfo=HELSINKI
    ).replace(hour=8)


async def test_a_referral_asks_for_its_outcome_a_week_later_and_stops_once_known(client, world, quiet):
    from server.services.tables import Service

    quiet(None)
    await login(client, "alice@example.org")
    client_id = await make_client(world.team_a, "Kettu")
    service_id = (await Service.insert(Service(name_fi="Testipalvelu", category="housing")))[0]["id"]
    referral = (
        await api(client, "POST", "/api/v1/referrals", {"client_id": client_id, "service_id": service_id})
    ).json()
    rows = await Reminder.select(Reminder.kind, Reminder.due_at).where(Reminder.client == client_id)
    assert [r["kind"] for r in rows] == ["referral"]
    assert timedelta(days=6) < rows[0]["due_at"] - utcnow() < timedelta(days=8)
    await api(client, "PATCH", f"/api/v1/referrals/{referral['id']}", {"status": "attended"})
    assert await _keys(client_id) == {}


async def test_a_team_that_turns_followup_reminders_off_gets_none(client, world, quiet):
    quiet(None)
    await save_rules(
        world.team_a,
        read_rules(
            {
                "release_days": "7,0",
                "appointment_pair_minutes": "30",
                "appointment_client_hours": "24",
                "referral_check": "on",
            }
        ),
    )
    await login(client, "alice@example.org")
    client_id = await make_client(world.team_a, "Kettu")
    due = (utcnow() + timedelta(days=2)).isoformat()
    await api(client, "POST", "/api/v1/followups", {"client_id": client_id, "due_at": due, "note": "x"})
    assert await _keys(client_id) == {}


async def test_the_rules_page_is_for_leads_and_explains_bad_numbers(client, world):
    await login(client, "alice@example.org")
    assert (await client.get("/team/reminders")).status_code == 403
    client.cookies.clear()
    await login(client, "lena@example.org")
    token = client.cookies["csrftoken"]
    response = await client.post(
        "/team/reminders",
        data={
            "_csrf_token": token,
            "release_days": "30,abc",
            "appointment_pair_minutes": "60",
            "appointment_client_hours": "0",
        },
    )
    assert response.status_code == 422
    assert "Päiviä 0–90 pilkuilla eroteltuina." in response.text and "Tunteja 1–72" in response.text
    response = await client.post(
        "/team/reminders",
        data={
            "_csrf_token": token,
            "release_days": "14, 3 ,0",
            "appointment_pair_minutes": "45",
            "appointment_client_hours": "24",
            "followups": "1",
        },
    )
    assert response.status_code == 303
    from server.push.rules import team_rules

    assert await team_rules(world.team_a) == Rules(
        followups=True,
        release_days=(14, 3, 0),
        appointment_pair_minutes=45,
        appointment_client_hours=(24,),
        referral_check=False,
    )


def test_a_passed_moment_found_late_in_the_evening_waits_for_the_morning(quiet):
    quiet((21, 8))
    now = local(2027, 6, 26, 23, 0).astimezone(UTC)  # added at 23:00, release in four days
    planned = {
        p.dedupe_key.rsplit(":", 1)[1]: p
        for p in drop_passed(release_reminders(3, date(2027, 6, 30), DEFAULT_RULES), now)
    }
    assert planned["7d"].due_at == local(2027, 6, 27, 8)


def test_a_late_evening_followup_waits_for_the_morning_and_is_still_sent_then(quiet):
    from server.push.planner import appointment_reminders, followup_reminder

    quiet((21, 8))
    [item] = followup_reminder({"id": 5, "due_at": local(2027, 6, 1, 22, 30)}, set(), DEFAULT_RULES)
    assert item.due_at == local(2027, 6, 2, 8) and item.event_at > item.due_at  # it lasts that day
    # An appointment at 00:30: an hour before is 23:30 the evening before: urgent, not held.
    [pair] = appointment_reminders(
        {"id": 6, "starts_at": local(2027, 6, 2, 0, 30), "remind_client": False}, DEFAULT_RULES
    )
    assert pair.due_at == local(2027, 6, 1, 23, 30) and pair.urgent
    # With a pair reminder set a day before, one that falls in the night and would wait past the
    # appointment stays at its time (better late in the evening than never).
    [early] = appointment_reminders(
        {"id": 7, "starts_at": local(2027, 6, 2, 7, 30), "remind_client": False}, Rules(appointment_pair_minutes=600)
    )
    assert early.due_at == local(2027, 6, 1, 21, 30) and not early.urgent


async def test_what_is_wanted_again_is_pending_again(client, world, quiet):
    quiet(None)
    await login(client, "alice@example.org")
    release = (utcnow().astimezone(HELSINKI) + timedelta(days=40)).date()
    client_id = (
        await api(client, "POST", "/api/v1/clients", {"pseudonym": "Kettu", "release_date": release.isoformat()})
    ).json()["id"]
    first = await _keys(client_id)
    await patch_client(client, client_id, {"release_date": (release + timedelta(days=3)).isoformat()})
    await patch_client(client, client_id, {"release_date": release.isoformat()})  # moved back
    assert await _keys(client_id) == first
    await patch_client(client, client_id, {"status": "closed"})
    assert await _keys(client_id) == {}
    await patch_client(client, client_id, {"status": "active"})  # reopened
    assert await _keys(client_id) == first
    due = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    followup = (
        await api(client, "POST", "/api/v1/followups", {"client_id": client_id, "due_at": due.isoformat(), "note": "x"})
    ).json()
    key = f"followup:{followup['id']}"
    await api(client, "PATCH", f"/api/v1/followups/{followup['id']}", {"done": True})
    assert not any(k.startswith(key) for k in await _keys(client_id))
    await api(client, "PATCH", f"/api/v1/followups/{followup['id']}", {"done": False})  # undone
    assert any(k.startswith(key) for k in await _keys(client_id))
