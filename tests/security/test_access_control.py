"""Access control and IDOR: §5 #1–9 of ../shared/research/security.md.

#1 and the "identical answers" half of #2 are the route walk (test_route_walk.py): every route
with an id, every method, plain and htmx, answers another team 404 exactly as for a missing id,
with no access-log row and no change. #9 is tests/test_login.py
(test_a_disabled_user_cannot_log_in_and_loses_live_sessions); here only what it leaves out.
"""

from __future__ import annotations

import httpx
import pytest

from server.accounts.services import add_pair, add_user, disable_user
from server.accounts.tables import Pair, User, UserSession
from server.app import create_app
from server.casework.tables import Appointment, Client, FollowUp, Visit
from server.services.tables import Referral
from server.web.guards import requires_admin, requires_lead
from tests.security.test_route_walk import TEAM_A_OBJECT, fill
from tests.support.casework import api, make_client, patch_client
from tests.support.fixtures import PASSWORD, login, post_form
from tests.support.team_a import MARKER, changes, make_team_a, snapshot

pytestmark = pytest.mark.anyio


@pytest.fixture
async def team_b_client(world) -> int:
    return await make_client(world.team_b, f"{MARKER} B-asiakas")


# -- #2: enumeration ---------------------------------------------------------------------------


async def test_enumerating_ids_opens_only_own_teams_objects(client, world):
    """#2: Dave walks ids 1..N of clients and referrals; only team B's own answer 200."""
    team_a = await make_team_a(world)
    own = await make_client(world.team_b, "Oma")
    await login(client, "dave@example.org")
    opened = []
    for client_id in range(1, own + 3):
        for path in (f"/clients/{client_id}", f"/api/v1/clients/{client_id}", f"/clients/{client_id}/edit"):
            response = await client.get(path)
            assert response.status_code in (200, 404), path
            assert MARKER not in response.text
            if response.status_code == 200:
                opened.append(client_id)
    assert set(opened) == {own}
    for referral_id in range(1, team_a.referral + 3):
        assert (await client.get(f"/api/v1/referrals/{referral_id}")).status_code == 404


# -- #3: path says A, body says B --------------------------------------------------------------


async def test_a_form_on_one_clients_page_cannot_write_to_another_teams_client(client, world, team_b_client):
    """#3: the client of the path wins; the body's client_id of team B is ignored, never written."""
    pair = (await Pair.select(Pair.id).first())["id"]
    own = await make_client(world.team_a, "Make", pair)
    await login(client, "alice@example.org")
    forms = {
        "followups": {"due_at": "2026-11-24T09:00", "note": "Soita"},
        "appointments": {"starts_at": "2026-11-25T09:00", "place": "Kela"},
    }
    for kind, form in forms.items():
        response = await post_form(client, f"/clients/{own}/{kind}", {**form, "client_id": str(team_b_client)})
        assert response.status_code == 303, response.text[:200]
    for table in (FollowUp, Appointment):
        assert [row["client"] for row in await table.select(table.client)] == [own]
    # The API takes the client from the body: team B's client there is 404 and stores nothing.
    for path, body in (
        ("/api/v1/followups", forms["followups"]),
        ("/api/v1/appointments", forms["appointments"]),
        ("/api/v1/referrals", {"service_id": 1}),
    ):
        assert (await api(client, "POST", path, {**body, "client_id": team_b_client})).status_code == 404, path
    assert await FollowUp.count() == 1 and await Appointment.count() == 1 and await Referral.count() == 0
    assert await Visit.count() == 0


# -- #4: mass assignment -------------------------------------------------------------------------


async def test_extra_fields_cannot_move_a_client_or_its_rows_to_another_team(client, world):
    """#4: team, author and id in a PATCH are ignored; a pair of another team is refused.
    (Visits cannot be PATCHed: tests/test_visits.py covers their create-time fields.)"""
    team_a = await make_team_a(world)
    await add_user("erik@example.org", "experience_expert", PASSWORD, "Team B", "Erik")
    await add_pair("dave@example.org", "erik@example.org")
    team_b_pair = (await Pair.select(Pair.id).where(Pair.team == world.team_b).first())["id"]
    await login(client, "alice@example.org")
    sneaky = {
        "team_id": world.team_b,
        "team": world.team_b,
        "created_by": world.dave,
        "id": 999,
        "created_at": "2000-01-01T00:00:00Z",
    }
    response = await patch_client(client, team_a.client, {**sneaky, "phone": "0501112222"})
    assert response.status_code == 200
    row = await Client.select(Client.id, Client.team, Client.created_by, Client.phone).first()
    assert row == {"id": team_a.client, "team": world.team_a, "created_by": world.alice, "phone": "0501112222"}
    before = await snapshot()
    moved = await patch_client(client, team_a.client, {"pair_id": team_b_pair})
    assert moved.status_code in (404, 422)
    for path in (f"/api/v1/followups/{team_a.followup}", f"/api/v1/referrals/{team_a.referral}"):
        assert (await api(client, "PATCH", path, {**sneaky, "client_id": 999})).status_code in (200, 422), path
    assert await FollowUp.select(FollowUp.team, FollowUp.client).first() == {
        "team": world.team_a,
        "client": team_a.client,
    }
    assert await Referral.select(Referral.team, Referral.client, Referral.created_by).first() == {
        "team": world.team_a,
        "client": team_a.client,
        "created_by": world.alice,
    }
    assert set(changes(before, await snapshot())) <= {"followup", "referral", "reminder"}  # done/status only


# -- #5: restricted fields -------------------------------------------------------------------------


async def test_the_experience_expert_sees_the_same_record_as_the_professional(client, world):
    """#5: the design restricts no field by role inside a pair: the professional and the experience
    expert work as equals on the same record (README: team walls, not role walls, guard client data;
    leads and admins see more, never less). So the rule asserted is "same fields", not "absent"."""
    team_a = await make_team_a(world)
    seen = {}
    for email in ("alice@example.org", "bob@example.org"):
        client.cookies.clear()
        await login(client, email)
        seen[email] = (await client.get(f"/api/v1/clients/{team_a.client}")).json()
    assert seen["alice@example.org"] == seen["bob@example.org"]


# -- #6: a lead's export of another team -----------------------------------------------------------


async def test_a_leads_team_filter_cannot_reach_another_team(client, world, team_b_client):
    """#6: ?team=B from a lead of A narrows to nothing (the caseload CSV is being built elsewhere)."""
    await add_user("bea@example.org", "lead", PASSWORD, "Team B", "Bea")
    await add_user("dora@example.org", "professional", PASSWORD, "Team B", "Dora")
    await add_pair("dave@example.org", "dora@example.org")
    await Client.update(
        {Client.pair: (await Pair.select(Pair.id).where(Pair.team == world.team_b).first())["id"]}
    ).where(Client.id == team_b_client)
    await login(client, "lena@example.org")
    for path in (
        "/api/v1/dashboard.csv",
        "/api/v1/dashboard",
        "/lead",
        "/lead/clients?show=caseload",
        "/api/v1/hours.csv",
    ):
        joiner = "&" if "?" in path else "?"
        response = await client.get(f"{path}{joiner}team={world.team_b}")
        assert response.status_code in (200, 404), path
        assert MARKER not in response.text and "Dave" not in response.text and "Bea" not in response.text, path
    figures = (await client.get(f"/api/v1/dashboard?team={world.team_b}")).json()
    assert "B-asiakas" not in str(figures)


# -- #7: roles ----------------------------------------------------------------------------------------


def _guarded_routes(guard) -> list[tuple[str, str]]:
    found = []
    for route in create_app().routes:
        for handler in route.route_handlers:
            if guard in (getattr(handler, "guards", None) or []):
                found += [(route.path, method) for method in sorted(handler.http_methods) if method != "OPTIONS"]
    return found


async def _refused_everywhere(http: httpx.AsyncClient, routes: list[tuple[str, str]], team_a) -> list[str]:
    problems = []
    for path, method in routes:
        url = fill(path, lambda name: TEAM_A_OBJECT[name][0](team_a) if name in TEAM_A_OBJECT else "1")
        if method == "GET":
            response = await http.get(url)
        elif url.startswith("/api/"):
            response = await api(http, method, url, {})
        else:
            response = await post_form(http, url, {})
        if response.status_code != 403:
            problems.append(f"{method} {url}: {response.status_code}")
    return problems


async def test_a_worker_gets_403_on_every_lead_and_admin_route(client, world):
    """#7: built from the routes' guards, so a new lead route is covered the day it is added."""
    team_a = await make_team_a(world)
    lead_routes, admin_routes = _guarded_routes(requires_lead), _guarded_routes(requires_admin)
    assert len(lead_routes) >= 15 and admin_routes
    await login(client, "alice@example.org")
    before = await snapshot()
    assert await _refused_everywhere(client, lead_routes + admin_routes, team_a) == []
    assert changes(before, await snapshot()) == {}
    client.cookies.clear()
    await login(client, "lena@example.org")
    before = await snapshot()
    assert await _refused_everywhere(client, admin_routes, team_a) == []
    assert changes(before, await snapshot()) == {}


# -- #8 and #9: changes take effect on the next request ----------------------------------------------


async def test_a_worker_moved_out_of_the_team_loses_its_clients_on_the_next_request(client, world):
    """#8: authorisation is read per request, not cached in the session."""
    team_a = await make_team_a(world)
    await login(client, "alice@example.org")
    assert (await client.get(f"/clients/{team_a.client}")).status_code == 200
    await User.update({User.team: world.team_b}).where(User.id == world.alice)
    for path in (f"/clients/{team_a.client}", f"/api/v1/clients/{team_a.client}", f"/api/v1/visits/{team_a.visit}"):
        response = await client.get(path)
        assert response.status_code == 404 and MARKER not in response.text, path
    listed = (await client.get("/api/v1/clients")).json()
    assert listed["total"] == 0


async def test_a_disabled_users_sessions_are_all_revoked_in_the_database(client, world):
    """#9, the part tests/test_login.py leaves out: every session row is revoked, not just refused."""
    phones = []
    for _ in range(2):
        phone = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app()), base_url="http://testserver.local")
        await login(phone, "alice@example.org")
        phones.append(phone)
    try:
        await disable_user("alice@example.org")
        for phone in phones:
            assert (await phone.get("/clients")).status_code in (401, 303)
            assert (await phone.get("/api/v1/me")).status_code == 401
        rows = await UserSession.select(UserSession.revoked_at).where(UserSession.user == world.alice)
        assert len(rows) == 2 and all(row["revoked_at"] is not None for row in rows)
    finally:
        for phone in phones:
            await phone.aclose()
