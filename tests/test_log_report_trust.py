"""The client's log report (§11) is right about who and why (issue 19, item 2).

A reader from another team appears with their own team and the real basis (a refused attempt, a
search across teams, break-the-glass), never as "client of the worker's team"; any worker of the
client's team can make the report when the client asks, and making it is itself logged.
"""

from __future__ import annotations

import pytest

from server.audit import chain
from server.audit.uselog import use_row
from server.casework.tables import AccessLog
from server.scope import CurrentUser, TeamScope
from tests.support.casework import api, make_client
from tests.support.fixtures import login

pytestmark = pytest.mark.anyio


async def _dave_tries_searches_and_opens(client, client_id: int) -> None:
    await login(client, "dave@example.org")
    assert (await client.get(f"/clients/{client_id}")).status_code == 404  # refused, logged for team A
    found = await api(client, "POST", "/api/v1/clients/search-organisation", {"q": "lintu", "birth_year": 1985})
    assert [item["id"] for item in found.json()["items"]] == [client_id]
    opened = await api(client, "POST", f"/api/v1/clients/{client_id}/break-glass", {"reason": "Yövuoro, ensisuoja"})
    assert opened.status_code == 201
    assert (await client.get(f"/clients/{client_id}")).status_code == 200
    client.cookies.clear()


async def test_a_reader_from_another_team_is_shown_with_their_team_and_real_basis(client, world):
    client_id = await make_client(world.team_a, "Lintu", birth_year=1985)
    await _dave_tries_searches_and_opens(client, client_id)

    await login(client, "alice@example.org")
    report = (await api(client, "GET", f"/api/v1/clients/{client_id}/log-report")).json()
    daves = {(use["team"], use["basis"], use["outcome"]) for use in report["uses"] if use["user"] == "Dave"}
    assert daves == {("Team B", "refused", "denied"), ("Team B", "org_search", "ok"), ("Team B", "break_glass", "ok")}
    alices = {(use["team"], use["basis"]) for use in report["uses"] if use["user"] == "Alice"}
    assert alices == {("Team A", "team")}

    page = await client.get(f"/clients/{client_id}/log-report?lang=en")
    assert page.status_code == 200
    dave_lines = [line for line in page.text.split("<li") if "Dave" in line]
    assert dave_lines and all(
        "Client of the worker&#39;s team" not in line and "Client of the worker's team" not in line
        for line in dave_lines
    )
    assert all("Team A" not in line for line in dave_lines)
    assert "Refused: not a client of their team" in page.text
    assert "Opened from another team, with a reason" in page.text and "Yövuoro, ensisuoja" in page.text


async def test_a_refused_attempt_logged_before_the_fix_is_shown_as_refused(client, world):
    """Old rows said basis "team" for a refused attempt: the report still tells the truth."""
    client_id = await make_client(world.team_a, "Lintu", birth_year=1985)
    dave = CurrentUser(
        id=world.dave,
        email="dave@example.org",
        display_name="Dave",
        role="professional",
        team_id=world.team_b,
        team_name="Team B",
        language="fi",
        session_id=0,
    )
    row = {
        **use_row(
            TeamScope(user=dave, team_ids=(world.team_b,)),
            client_id,
            world.team_a,
            "client_page",
            "read",
            "client",
            "denied",
        ),
        "basis": "team",
    }
    await chain.append(AccessLog, [row])
    await login(client, "alice@example.org")
    report = (await api(client, "GET", f"/api/v1/clients/{client_id}/log-report")).json()
    assert [(u["user"], u["team"], u["basis"]) for u in report["uses"] if u["user"] == "Dave"] == [
        ("Dave", "Team B", "refused")
    ]


async def test_a_worker_makes_the_report_and_the_request_is_logged(client, world):
    client_id = await make_client(world.team_a, "Lintu", birth_year=1985)
    await login(client, "bob@example.org")  # an experience expert, not a lead
    page = await client.get(f"/clients/{client_id}/log-report?lang=fi")
    assert page.status_code == 200 and "Lintu" in page.text
    report = (await api(client, "GET", f"/api/v1/clients/{client_id}/log-report")).json()
    made = [u for u in report["uses"] if u["action"] == "report"]
    assert [(u["user"], u["role"], u["basis"]) for u in made] == [("Bob", "experience_expert", "team")] * 2
    rows = await AccessLog.select(AccessLog.what, AccessLog.action).where(AccessLog.user == world.bob)
    assert rows == [{"what": "log_report_page", "action": "report"}, {"what": "api_log_report", "action": "report"}]
    client_page = await client.get(f"/clients/{client_id}")
    assert f'href="/clients/{client_id}/log-report"' in client_page.text


async def test_a_worker_of_another_team_gets_no_report_and_that_is_not_a_report_row(client, world):
    client_id = await make_client(world.team_a, "Lintu", birth_year=1985)
    await login(client, "dave@example.org")
    assert (await api(client, "GET", f"/api/v1/clients/{client_id}/log-report")).status_code == 404
    assert (await client.get(f"/clients/{client_id}/log-report")).status_code == 404
    assert await AccessLog.count().where(AccessLog.action == "report") == 0
