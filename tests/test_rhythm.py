"""The pair's rhythm: debriefs that only the pair can read, supervision with its reminder, and an
experience expert's hours and fees in exact cents against a rate table and a private limit."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta

import pytest

from server.accounts.services import add_pair, add_user
from server.accounts.tables import User
from server.push.dispatcher import dispatch_due
from server.push.tables import Reminder
from server.rhythm.tables import Debrief, DebriefNote, HoursEntry, Supervision, WorkerTerms
from server.timeutil import local_today, utcnow
from tests.support.casework import api, make_client
from tests.support.fixtures import PASSWORD, login

pytestmark = pytest.mark.anyio


async def _as(client, email: str):
    client.cookies.clear()
    response = await login(client, email)
    assert response.status_code == 303
    return client


async def _time_passes(condition) -> None:
    await Reminder.update({Reminder.next_attempt_at: utcnow() - timedelta(seconds=1)}).where(
        condition & (Reminder.state == "pending")
    )


# -- debriefs ---------------------------------------------------------------------------------------


async def test_a_debrief_is_the_pairs_alone(client, world):
    await _as(client, "alice@example.org")
    response = await api(
        client, "POST", "/api/v1/debriefs", {"load": 4, "notes": "Kova ilta portaikossa", "wants_lead_contact": True}
    )
    assert response.status_code == 201
    debrief_id = response.json()["id"]
    await _as(client, "bob@example.org")  # the partner reads it and adds to it
    assert (
        await api(
            client,
            "POST",
            f"/api/v1/debriefs/{debrief_id}/notes",
            {"load": 3, "notes": "Puhuttiin läpi", "helped": "Kahvi"},
        )
    ).status_code == 201
    [seen] = (await client.get("/api/v1/debriefs")).json()["items"]
    assert [n["what_happened"] for n in seen["notes"]] == ["Kova ilta portaikossa", "Puhuttiin läpi"]
    for email in ("dave@example.org", "lena@example.org"):  # another team; the lead
        await _as(client, email)
        assert (await client.get("/api/v1/debriefs")).json()["items"] == []
        assert (await api(client, "POST", f"/api/v1/debriefs/{debrief_id}/notes", {"load": 1})).status_code == 404
    page = await client.get("/lead")  # Lena: that it happened, and the request; never the words
    assert "Kova ilta" not in page.text and "Puhuttiin" not in page.text and "Kahvi" not in page.text
    assert f"/lead/requests/{debrief_id}/done" in page.text
    data = (await client.get("/api/v1/dashboard")).json()
    pair = next(p for p in data["pairs"] if p["id"])
    assert (pair["debriefs_30_days"], pair["lead_requests"]) == (1, 1)
    assert "Kova" not in str(data)
    await client.post(f"/lead/requests/{debrief_id}/done", data={"_csrf_token": client.cookies["csrftoken"]})
    assert (await client.get("/api/v1/dashboard")).json()["pairs"][0]["lead_requests"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"load": 0},
        {"load": 6},
        {"load": "paljon"},
        {"notes": "ilman kuormaa"},
        {"load": 3, "occurred_at": "2099-01-01T10:00:00+02:00"},
    ],
)
async def test_a_bad_debrief_is_refused_and_nothing_is_stored(client, world, body):
    await _as(client, "alice@example.org")
    response = await api(client, "POST", "/api/v1/debriefs", body)
    assert response.status_code == 422
    assert await Debrief.count() == 0 and await DebriefNote.count() == 0


async def test_a_crisis_visit_without_a_debrief_reminds_both_partners_the_next_morning(client, world, push_service):
    await _as(client, "alice@example.org")
    alice_phone = push_service.phone()
    await api(client, "POST", "/api/v1/push/subscriptions", alice_phone.subscription())
    client_id = await make_client(world.team_a, "Kettu", (await _pair_id()))
    visit = {
        "id": str(uuid.uuid4()),
        "client_id": client_id,
        "occurred_at": utcnow().isoformat(),
        "kind": "street",
        "actions": ["crisis"],
    }
    assert (await api(client, "POST", "/api/v1/visits", visit)).status_code == 201
    planned = await Reminder.select(Reminder.user, Reminder.due_at).where(Reminder.kind == "debrief")
    assert sorted(r["user"] for r in planned) == sorted([world.alice, world.bob])
    assert all(r["due_at"] > utcnow() for r in planned)
    await _time_passes(Reminder.kind == "debrief")  # the next morning comes
    await dispatch_due()
    [delivery] = push_service.to(alice_phone)
    assert delivery.payload["url"] == "/debriefs" and "Kettu" not in str(delivery.payload)


async def test_a_debrief_before_the_morning_cancels_the_reminder(client, world):
    await _as(client, "alice@example.org")
    client_id = await make_client(world.team_a, "Kettu", (await _pair_id()))
    visit = {
        "id": str(uuid.uuid4()),
        "client_id": client_id,
        "occurred_at": utcnow().isoformat(),
        "kind": "street",
        "actions": ["crisis"],
    }
    await api(client, "POST", "/api/v1/visits", visit)
    await api(client, "POST", "/api/v1/debriefs", {"load": 5, "notes": "puhuttiin"})
    states = {r["state"] for r in await Reminder.select(Reminder.state).where(Reminder.kind == "debrief")}
    assert states == {"cancelled"}


async def _pair_id() -> int:
    from server.accounts.tables import Pair

    return (await Pair.select(Pair.id).first())["id"]


# -- supervision -------------------------------------------------------------------------------------


async def test_supervision_rhythm_is_two_weeks_for_a_new_experience_expert_and_reminds_when_due(
    client, world, push_service
):
    await _as(client, "bob@example.org")  # an experience expert whose account is new
    bob_phone = push_service.phone()
    await api(client, "POST", "/api/v1/push/subscriptions", bob_phone.subscription())
    last = local_today() - timedelta(days=20)
    response = await api(
        client,
        "POST",
        "/api/v1/supervision",
        {"occurred_at": last.isoformat(), "kind": "group", "supervisor": "Työnohjaaja Tuula"},
    )
    assert response.status_code == 201
    rhythm = (await client.get("/api/v1/supervision")).json()["rhythm"]
    assert rhythm["days"] == 14 and rhythm["overdue"] is True  # 20 days since, two-week rhythm
    [reminder] = await Reminder.select(Reminder.dedupe_key, Reminder.state).where(Reminder.kind == "supervision")
    assert reminder == {
        "dedupe_key": f"supervision:{world.bob}:{(last + timedelta(days=14)).isoformat()}",
        "state": "pending",
    }
    await _time_passes(Reminder.kind == "supervision")
    await dispatch_due()
    [delivery] = push_service.to(bob_phone)
    assert delivery.payload["url"] == "/supervision"
    # A new session moves the rhythm on: the next reminder is for 14 days after it.
    await api(client, "POST", "/api/v1/supervision", {"occurred_at": local_today().isoformat(), "kind": "individual"})
    pending = await Reminder.select(Reminder.dedupe_key).where(
        (Reminder.kind == "supervision") & (Reminder.state == "pending")
    )
    assert [r["dedupe_key"] for r in pending] == [
        f"supervision:{world.bob}:{(local_today() + timedelta(days=14)).isoformat()}"
    ]


async def test_a_professional_has_a_four_week_rhythm_and_bad_sessions_are_refused(client, world):
    await _as(client, "alice@example.org")
    for body in (
        {"occurred_at": "2099-01-01", "kind": "group"},
        {"occurred_at": "eilen", "kind": "group"},
        {"occurred_at": local_today().isoformat(), "kind": "yoga"},
    ):
        assert (await api(client, "POST", "/api/v1/supervision", body)).status_code == 422
    assert await Supervision.count() == 0
    assert (await client.get("/api/v1/supervision")).json()["rhythm"]["days"] == 28


# -- hours and fees ----------------------------------------------------------------------------------


async def _hours(client, day: date, activity: str, hours, **extra):
    return await api(
        client, "POST", "/api/v1/hours", {"date": day.isoformat(), "activity": activity, "hours": hours, **extra}
    )


async def test_fees_follow_kokoa_rates_in_exact_cents(client, world):
    await _as(client, "bob@example.org")  # an experience expert: paid by fee unless set otherwise
    today = local_today()
    first = await _hours(client, today, "client_work", "1,5")
    assert first.status_code == 201 and first.json()["fee_eur"] == 45.0  # 30 €/h
    await _hours(client, today, "demanding_event", 2)  # 100 €/h
    await _hours(client, today, "preparation", "0.25")  # 25 €/h → 6.25
    summary = (await client.get("/api/v1/hours/summary")).json()
    assert summary["hours"] == 3.75 and summary["fees_eur"] == 251.25
    assert summary["limit_eur"] is None and summary["remaining_eur"] is None


async def test_a_new_rate_never_rewrites_what_was_logged(client, world):
    await _as(client, "bob@example.org")
    today = local_today()
    await _hours(client, today, "meeting", 1)  # 40 €
    await _as(client, "lena@example.org")
    token = client.cookies["csrftoken"]
    last_month = today.replace(day=1) - timedelta(days=1)
    refused = await client.post(
        "/hours/rates",
        data={
            "_csrf_token": token,
            "activity": "meeting",
            "eur_per_hour": "45",
            "effective_from": last_month.isoformat(),
        },
    )
    assert refused.status_code == 422  # past months stay as paid
    saved = await client.post(
        "/hours/rates",
        data={
            "_csrf_token": token,
            "activity": "meeting",
            "eur_per_hour": "33,33",
            "effective_from": today.isoformat(),
        },
    )
    assert saved.status_code == 303
    await _as(client, "bob@example.org")
    for _ in range(3):
        await _hours(client, today, "meeting", 1)  # 33.33 each
    summary = (await client.get("/api/v1/hours/summary")).json()
    assert summary["fees_eur"] == 139.99  # 40 + 3 × 33.33, no floating drift
    fees = sorted(r["fee_cents"] for r in await HoursEntry.select(HoursEntry.fee_cents))
    assert fees == [3333, 3333, 3333, 4000]


async def test_the_personal_limit_warns_before_it_is_crossed_and_no_one_else_sees_it(client, world):
    await _as(client, "bob@example.org")
    today = local_today()
    assert (await api(client, "POST", "/api/v1/hours/limit", {"monthly_limit_eur": "50"})).status_code == 201
    assert (await _hours(client, today, "client_work", "1,5")).status_code == 201  # 45 €
    warned = await _hours(client, today, "client_work", 1)  # 30 € more would make 75 €
    assert warned.status_code == 409 and warned.json()["remaining_eur"] == 5.0
    assert await HoursEntry.count() == 1  # nothing stored before the worker confirms
    assert (await _hours(client, today, "client_work", 1, confirm_over_limit=True)).status_code == 201
    summary = (await client.get("/api/v1/hours/summary")).json()
    assert summary["limit_eur"] == 50.0 and summary["remaining_eur"] == -25.0
    await _as(client, "lena@example.org")
    payroll = (await client.get("/api/v1/hours.csv")).text
    dashboard = (await client.get("/api/v1/dashboard")).text
    team = (await client.get("/team")).text
    assert "limit" not in payroll.lower() and "limit" not in dashboard.lower()
    assert "50,00 €" not in team and "50.00" not in team
    rows = list(csv.reader(io.StringIO(payroll)))
    assert rows[0] == ["month", "worker", "email", "activity", "hours", "fees_eur"]
    assert rows[1][1:] == ["Bob", "bob@example.org", "client_work", "2.50", "75.00"]


@pytest.mark.parametrize(
    "day_offset, activity, hours",
    [
        (0, "client_work", "-1"),
        (0, "client_work", "25"),
        (0, "dancing", "1"),
        (0, "client_work", "yksi"),
        (1, "client_work", "1"),
        (0, "client_work", "0"),
    ],
)
async def test_bad_hours_are_refused_and_nothing_is_stored(client, world, day_offset, activity, hours):
    await _as(client, "bob@example.org")
    response = await _hours(client, local_today() + timedelta(days=day_offset), activity, hours)
    assert response.status_code == 422
    assert await HoursEntry.count() == 0


async def test_a_day_cannot_hold_more_than_24_hours(client, world):
    await _as(client, "bob@example.org")
    assert (await _hours(client, local_today(), "client_work", 20)).status_code == 201
    assert (await _hours(client, local_today(), "meeting", 5)).status_code == 422
    assert await HoursEntry.count() == 1


async def test_salary_paid_hours_have_no_fee_and_leads_set_terms_only_in_their_team(client, world):
    await _as(client, "lena@example.org")
    token = client.cookies["csrftoken"]
    response = await client.post(
        f"/team/members/{world.bob}/terms",
        data={"_csrf_token": token, "pay_basis": "salary", "part_time_percent": "50", "started_on": "2026-01-01"},
    )
    assert response.status_code == 303
    assert (
        await client.post(f"/team/members/{world.dave}/terms", data={"_csrf_token": token, "pay_basis": "fee"})
    ).status_code == 404  # another team's worker
    assert await WorkerTerms.count().where(WorkerTerms.user == world.dave) == 0
    await _as(client, "bob@example.org")
    entry = (await _hours(client, local_today(), "lecture", 2)).json()
    assert entry["fee_eur"] == 0.0
    assert (await client.get("/api/v1/supervision")).json()["rhythm"]["days"] == 28  # started long ago


async def test_workers_cannot_read_the_payroll(client, world):
    await _as(client, "bob@example.org")
    assert (await client.get("/api/v1/hours.csv")).status_code == 403
    assert (await client.get("/hours/rates")).status_code == 403


async def test_a_rate_changed_today_leaves_yesterdays_hours_at_the_old_rate(client, world):
    await _as(client, "lena@example.org")
    today = local_today()
    saved = await client.post(
        "/hours/rates",
        data={
            "_csrf_token": client.cookies["csrftoken"],
            "activity": "meeting",
            "eur_per_hour": "50",
            "effective_from": today.isoformat(),
        },
    )
    assert saved.status_code == 303
    earlier = await client.post(
        "/hours/rates",
        data={
            "_csrf_token": client.cookies["csrftoken"],
            "activity": "meeting",
            "eur_per_hour": "45",
            "effective_from": (today - timedelta(days=1)).isoformat(),
        },
    )
    assert earlier.status_code == 422  # a rate never reaches back
    await _as(client, "bob@example.org")
    yesterday = (await _hours(client, today - timedelta(days=1), "meeting", 1)).json()
    now = (await _hours(client, today, "meeting", 1)).json()
    assert (yesterday["fee_eur"], now["fee_eur"]) == (40.0, 50.0)


@pytest.mark.parametrize("hours", ["1e30", "1e999999999", "1,33", "0,001", "NaN", "Infinity"])
async def test_hours_that_are_no_whole_minutes_are_refused_not_crashed_on(client, world, hours):
    await _as(client, "bob@example.org")
    assert (await _hours(client, local_today(), "meeting", hours)).status_code == 422
    assert await HoursEntry.count() == 0


async def test_a_month_out_of_range_is_a_field_error(client, world):
    await _as(client, "bob@example.org")
    response = await client.get("/api/v1/hours/summary?month=9999-12")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "month"
    assert (await client.get("/hours?month=9999-12")).status_code == 200  # the page shows this month
    assert (await _hours(client, date(1990, 1, 1), "meeting", 1)).status_code == 422  # a paid month


async def test_more_hours_after_confirming_a_fee_are_asked_about_again(client, world):
    await _as(client, "bob@example.org")
    await api(client, "POST", "/api/v1/hours/limit", {"monthly_limit_eur": "30"})
    token = client.cookies["csrftoken"]
    form = {"_csrf_token": token, "date": local_today().isoformat(), "activity": "client_work", "hours": "2"}
    warned = await client.post("/hours", data=form)
    assert warned.status_code == 409 and 'name="confirmed_fee_cents" value="6000"' in warned.text
    more = await client.post("/hours", data={**form, "hours": "3", "confirmed_fee_cents": "6000"})
    assert more.status_code == 409 and await HoursEntry.count() == 0  # 90 € was never confirmed
    assert (await client.post("/hours", data={**form, "confirmed_fee_cents": "6000"})).status_code == 303


async def test_the_pair_that_was_there_is_reminded_and_a_debrief_before_the_crisis_does_not_count(client, world):
    await add_user("carl@example.org", "professional", PASSWORD, "Team A", "Carl")
    await add_user("dina@example.org", "experience_expert", PASSWORD, "Team A", "Dina")
    await add_pair("carl@example.org", "dina@example.org")
    carl = (await User.select(User.id).where(User.email == "carl@example.org").first())["id"]
    await _as(client, "carl@example.org")
    await api(
        client,
        "POST",
        "/api/v1/debriefs",
        {"load": 2, "notes": "aamun purku", "occurred_at": (utcnow() - timedelta(minutes=5)).isoformat()},
    )
    alices_client = await make_client(world.team_a, "Kettu", (await _pair_id()))  # Alice & Bob's client
    visit = {
        "id": str(uuid.uuid4()),
        "client_id": alices_client,
        "occurred_at": utcnow().isoformat(),
        "kind": "street",
        "actions": ["crisis"],
    }
    assert (await api(client, "POST", "/api/v1/visits", visit)).status_code == 201
    rows = await Reminder.select(Reminder.user, Reminder.state).where(Reminder.kind == "debrief")
    dina = (await User.select(User.id).where(User.email == "dina@example.org").first())["id"]
    assert sorted((r["user"], r["state"]) for r in rows) == sorted([(carl, "pending"), (dina, "pending")])


async def test_the_lead_sees_who_asked_to_talk_and_only_their_teams_payroll(client, world):
    await add_user("lars@example.org", "lead", PASSWORD, "Team B", "Lars")
    await _as(client, "alice@example.org")
    debrief_id = (await api(client, "POST", "/api/v1/debriefs", {"load": 3, "notes": "x"})).json()["id"]
    await _as(client, "bob@example.org")
    await api(client, "POST", f"/api/v1/debriefs/{debrief_id}/notes", {"load": 4, "wants_lead_contact": True})
    await _hours(client, local_today(), "meeting", 1)
    await _as(client, "lena@example.org")
    page = await client.get("/lead")
    assert '<span class="list-item__title">Bob</span>' in page.text
    assert (
        await client.post(
            f"/team/members/{world.lena}/terms", data={"_csrf_token": client.cookies["csrftoken"], "pay_basis": "fee"}
        )
    ).status_code == 404  # not a worker
    await _as(client, "lars@example.org")
    rows = list(csv.reader(io.StringIO((await client.get("/api/v1/hours.csv")).text)))
    assert rows == [["month", "worker", "email", "activity", "hours", "fees_eur"]]  # nothing of team A
    assert "Bob" not in (await client.get("/lead")).text


async def test_the_forms_show_their_errors_and_keep_what_was_typed(client, world):
    await _as(client, "bob@example.org")
    token = client.cookies["csrftoken"]
    page = await client.post("/debriefs", data={"_csrf_token": token, "notes": "Raskas yö asemalla"})
    assert page.status_code == 422 and "Raskas yö asemalla" in page.text
    assert await Debrief.count() == 0
    page = await client.post(
        "/supervision", data={"_csrf_token": token, "occurred_on": "2099-01-01", "kind": "group", "supervisor": "Tuula"}
    )
    assert page.status_code == 422 and "Tuula" in page.text and await Supervision.count() == 0
    page = await client.post("/hours/limit", data={"_csrf_token": token, "monthly_limit_eur": "paljon"})
    assert page.status_code == 422
    assert (
        await client.post("/hours/limit", data={"_csrf_token": token, "monthly_limit_eur": "300"})
    ).status_code == 303
