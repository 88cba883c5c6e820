"""The lead's dashboard against hand-computed figures, on both databases.

Today is fixed at Friday 2 April 2027 with a two-week period: the weeks of Monday 22 March and
Monday 29 March. Summer time began on Sunday 28 March 2027 at 03:00 in Helsinki, so the first
week is 167 hours long, and a visit at 00:30 on Monday 29 March (Sunday 21:30 UTC) belongs to
the second week, which bucketing by UTC days would get wrong.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from server.accounts.services import add_pair, add_user
from server.accounts.sessions import scope_for
from server.accounts.tables import Pair
from server.casework.tables import AccessLog, FollowUp, Visit, VisitTheme, VisitWorker
from server.dashboard.figures import dashboard
from server.scope import CurrentUser, TeamScope
from server.services.tables import Referral, Service
from tests.support.casework import make_client
from tests.support.fixtures import PASSWORD, login

pytestmark = pytest.mark.anyio
HELSINKI = ZoneInfo("Europe/Helsinki")
TODAY = date(2027, 4, 2)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=HELSINKI)


async def _visit(
    team: int, client: int | None, when: datetime, workers: list[int], themes: list[str] = (), anonymous: int = 0
) -> None:
    rows = await Visit.insert(
        Visit(
            uuid=uuid.uuid4(),
            team=team,
            client=client,
            anonymous_count=anonymous,
            occurred_at=when,
            created_by=workers[0],
        )
    )
    visit_id = rows[0]["id"]
    await VisitWorker.insert(*[VisitWorker(visit=visit_id, user=u) for u in workers])
    if themes:
        await VisitTheme.insert(*[VisitTheme(visit=visit_id, theme=t) for t in themes])


@pytest.fixture
async def casework(world):
    """Team A: the pair Alice (professional) & Bob (experience expert) and an unpaired client;
    team B: the pair Dave & Erik, whose work must never show in team A's figures."""
    await add_user("erik@example.org", "experience_expert", PASSWORD, "Team B", "Erik")
    await add_pair("dave@example.org", "erik@example.org")
    pair_a = (await Pair.select(Pair.id).where(Pair.team == world.team_a).first())["id"]
    pair_b = (await Pair.select(Pair.id).where(Pair.team == world.team_b).first())["id"]
    k1 = await make_client(world.team_a, "K1", pair_a, release_date=date(2027, 4, 12))
    k2 = await make_client(world.team_a, "K2", pair_a, release_date=date(2027, 5, 17))
    k3 = await make_client(world.team_a, "K3", pair_a)
    await make_client(world.team_a, "K4", pair_a, status="closed", release_date=date(2027, 4, 10))
    await make_client(world.team_a, "K6", pair_a, status="paused")
    k5 = await make_client(world.team_a, "K5")  # no pair yet
    b1 = await make_client(world.team_b, "B1", pair_b, release_date=date(2027, 4, 5))

    for client, due, done in (
        (k1, at(2027, 3, 30, 10), None),
        (k2, at(2027, 4, 2, 15), None),
        (k3, at(2027, 3, 20, 10), at(2027, 3, 21, 9)),
        (k5, at(2027, 3, 31, 9), None),
        (b1, at(2027, 3, 1, 9), None),
    ):
        team = world.team_b if client == b1 else world.team_a
        await FollowUp.insert(
            FollowUp(
                team=team,
                client=client,
                due_at=due,
                note="x",
                done_at=done,
                pair=None if client == k5 else (pair_b if client == b1 else pair_a),
            )
        )

    await _visit(world.team_a, k1, at(2027, 3, 28, 23, 30), [world.alice, world.bob], ["housing", "substances"])
    await _visit(world.team_a, k2, at(2027, 3, 29, 0, 30), [world.bob], ["housing"])  # Sun 21:30 UTC
    await _visit(world.team_a, None, at(2027, 3, 22, 0, 15), [world.alice], anonymous=3)  # Sun 22:15 UTC
    await _visit(world.team_a, None, at(2027, 4, 1, 12), [world.alice], anonymous=2)
    await _visit(world.team_a, k3, at(2027, 2, 1, 12), [world.alice], ["crime"])  # before the period
    await _visit(world.team_b, b1, at(2027, 3, 30, 12), [world.dave], ["health"], anonymous=0)
    await _visit(world.team_b, None, at(2027, 3, 30, 13), [world.dave], anonymous=7)

    service = (await Service.insert(Service(name_fi="Palvelu", category="housing")))[0]["id"]
    for client, status, day in (
        (k1, "referred", date(2027, 3, 30)),
        (k2, "attended", date(2027, 3, 25)),
        (k3, "not_attended", date(2027, 3, 1)),
        (b1, "attended", date(2027, 3, 30)),
    ):
        await Referral.insert(
            Referral(
                team=world.team_b if client == b1 else world.team_a,
                client=client,
                service=service,
                status=status,
                referred_on=day,
                created_by=world.alice,
            )
        )
    return {"k1": k1, "k2": k2, "k3": k3, "k5": k5, "b1": b1, "pair_a": pair_a, "pair_b": pair_b}


async def _walls(user_id: int, email: str, role: str, team_id: int | None) -> TeamScope:
    user = CurrentUser(
        id=user_id,
        email=email,
        display_name=email,
        role=role,
        team_id=team_id,
        team_name=None,
        language="fi",
        session_id=0,
    )
    return await scope_for(user)


async def test_the_leads_figures_match_the_hand_computed_ones(world, casework):
    lena = await _walls(world.lena, "lena@example.org", "lead", world.team_a)
    f = await dashboard(lena, weeks=4, today=TODAY)
    pair = next(p for p in f["pairs"] if p["id"] == casework["pair_a"])
    assert [m["name"] for m in pair["members"]] == ["Alice", "Bob"]
    assert (pair["active_clients"], pair["overdue_followups"], pair["no_contact"]) == (3, 1, 1)  # K1-K3; K1; K3
    assert pair["target"] == {"low": 20, "high": 30} and pair["load"] == "low"
    unpaired = next(p for p in f["pairs"] if p["id"] is None)
    assert (unpaired["active_clients"], unpaired["overdue_followups"], unpaired["no_contact"]) == (1, 1, 1)
    assert (f["active_clients"], f["overdue_followups"], f["no_contact"]) == (4, 2, 2)
    assert [r["client_id"] for r in f["releases_next_30_days"]] == [casework["k1"]]
    assert [(r["client_id"], r["days_left"]) for r in f["releases_next_90_days"]] == [
        (casework["k1"], 10),
        (casework["k2"], 45),
    ]
    weeks = {w["week_start"]: (w["known"], w["anonymous"]) for w in f["contacts_per_week"]}
    assert weeks[date(2027, 3, 22)] == (1, 3)  # K1 on Sunday night, the anonymous three on Monday 00:15
    assert weeks[date(2027, 3, 29)] == (1, 2)  # K2 at 00:30 on Monday, after the DST change
    assert weeks[date(2027, 3, 8)] == weeks[date(2027, 3, 15)] == (0, 0)
    assert f["anonymous_contacts_this_week"] == 2
    assert f["themes"] == {"housing": 2, "substances": 1}
    assert f["referrals_by_status"] == {
        "referred": 1,
        "contacted": 0,
        "attended": 1,
        "not_attended": 0,
        "cancelled": 0,
    }  # the period starts 8 March: K3's of 1 March is out
    assert f["visit_share"] == {"experience_expert": 2, "professional": 3, "other": 0}


async def test_a_two_week_period_starts_on_the_monday_a_week_before(world, casework):
    lena = await _walls(world.lena, "lena@example.org", "lead", world.team_a)
    f = await dashboard(lena, weeks=4, today=TODAY)
    assert f["period_start"] == date(2027, 3, 8)
    assert [w["week_start"] for w in f["contacts_per_week"]] == [
        date(2027, 3, 8),
        date(2027, 3, 15),
        date(2027, 3, 22),
        date(2027, 3, 29),
    ]


async def test_an_admin_of_two_teams_filters_by_team(world, casework):
    ada = await _walls(world.ada, "ada@example.org", "admin", None)
    both = await dashboard(ada, weeks=4, today=TODAY)
    assert {p["id"] for p in both["pairs"]} == {casework["pair_a"], casework["pair_b"], None}
    team_b = await dashboard(ada.narrowed(world.team_b), weeks=4, today=TODAY)
    assert [p["id"] for p in team_b["pairs"]] == [casework["pair_b"]]
    assert team_b["anonymous_contacts_this_week"] == 7 and team_b["themes"] == {"health": 1}
    assert [r["client_id"] for r in team_b["releases_next_30_days"]] == [casework["b1"]]
    lena = await _walls(world.lena, "lena@example.org", "lead", world.team_a)
    assert (await dashboard(lena.narrowed(world.team_b), weeks=4, today=TODAY))["pairs"] == []


async def test_workers_get_403_and_leads_get_the_page_json_and_csv(client, world, casework):
    await login(client, "alice@example.org")
    for path in ("/lead", "/api/v1/dashboard", "/api/v1/dashboard.csv", "/lead/clients?show=active"):
        assert (await client.get(path)).status_code == 403, path
    client.cookies.clear()
    await login(client, "lena@example.org")
    page = await client.get("/lead")
    assert page.status_code == 200 and not re.search(r">K\d<", page.text)  # numbers, no names of clients
    data = (await client.get("/api/v1/dashboard")).json()
    assert {
        "pairs",
        "overdue_followups",
        "releases_next_30_days",
        "anonymous_contacts_this_week",
        "contacts_per_week",
        "referrals_by_status",
    } <= set(data)
    assert data["pairs"][0]["members"][0]["name"] == "Alice"
    response = await client.get("/api/v1/dashboard.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["figure", "team", "pair", "key", "value"]
    assert ["pair", "Team A", "Alice & Bob", "active_clients", "3"] in rows


async def test_the_csv_neutralises_formulas_in_names(client, world, casework):
    from server.accounts.tables import User

    await User.update({User.display_name: '=HYPERLINK("http://x")'}).where(User.id == world.alice)
    await login(client, "lena@example.org")
    rows = list(csv.reader(io.StringIO((await client.get("/api/v1/dashboard.csv")).text)))
    names = [row[2] for row in rows if row[0] == "pair" and row[2]]
    assert names and all(name.startswith("'=") for name in names if "HYPERLINK" in name)


async def test_a_number_opens_its_list_and_the_list_is_logged(client, world, casework):
    await login(client, "lena@example.org")
    page = await client.get(f"/lead/clients?show=active&pair={casework['pair_a']}")
    assert page.status_code == 200 and _listed(page) == ["K1", "K2", "K3"]
    logged = await AccessLog.select(AccessLog.client, AccessLog.what).where(AccessLog.user == world.lena)
    assert sorted(row["client"] for row in logged) == sorted([casework["k1"], casework["k2"], casework["k3"]])
    assert {row["what"] for row in logged} == {"dashboard_list"}
    unpaired = await client.get("/lead/clients?show=no_contact&pair=none")  # K5 was never met
    assert _listed(unpaired) == ["K5"]
    assert (await client.get("/lead/clients?show=nonsense")).status_code == 404


def _listed(page) -> list[str]:
    return re.findall(r'class="list-item__title" href="/clients/\d+">([^<]+)<', page.text)


async def test_a_lead_sets_the_teams_target_and_bad_numbers_are_explained(client, world, casework):
    await login(client, "lena@example.org")
    token = client.cookies["csrftoken"]
    bad = await client.post(
        "/lead/targets",
        data={"_csrf_token": token, "team_id": world.team_a, "low": "30", "high": "10", "no_contact_days": "14"},
    )
    assert bad.status_code == 422
    good = await client.post(
        "/lead/targets",
        data={"_csrf_token": token, "team_id": world.team_a, "low": "2", "high": "3", "no_contact_days": "60"},
    )
    assert good.status_code == 303
    data = (await client.get("/api/v1/dashboard")).json()
    pair = next(p for p in data["pairs"] if p["id"] == casework["pair_a"])
    assert pair["target"] == {"low": 2, "high": 3} and pair["load"] == "ok"
    other = await client.post(
        "/lead/targets",
        data={"_csrf_token": token, "team_id": world.team_b, "low": "1", "high": "2", "no_contact_days": "5"},
    )
    assert other.status_code == 404
