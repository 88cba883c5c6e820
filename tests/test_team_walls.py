"""Team walls: another team's rows answer 404, whatever the role; leads and admins see more."""

from datetime import date

import pytest

from server.accounts.services import add_user
from server.casework.tables import AccessLog, Client
from tests.support.fixtures import PASSWORD, login, post_form, unmasked

pytestmark = pytest.mark.anyio


async def make_client(team_id: int, pseudonym: str) -> int:
    rows = await Client.insert(
        Client(team=team_id, pseudonym=pseudonym, started_on=date.today(), status_changed_on=date.today())
    )
    return rows[0]["id"]


@pytest.fixture
async def team_a_urls(world):
    client_id = await make_client(world.team_a, "Make")
    return {
        "get": [f"/clients/{client_id}"],
        "post": [f"/team/members/{world.alice}/end-sessions", f"/team/members/{world.alice}/disable"],
        "client_id": client_id,
    }


async def test_a_worker_of_team_b_gets_404_for_every_team_a_url(client, world, team_a_urls):
    await login(client, "dave@example.org")
    for url in team_a_urls["get"]:
        response = await client.get(url)
        assert response.status_code == 404, url
        assert "Make" not in response.text
    # Nothing was read; the attempt is in the use log, refused, for team A's lead to see.
    rows = await AccessLog.select(AccessLog.client, AccessLog.outcome, AccessLog.user)
    assert rows == [{"client": team_a_urls["client_id"], "outcome": "denied", "user": world.dave}]


async def test_a_lead_of_team_b_gets_404_for_team_a_members(client, world, team_a_urls):
    await add_user("bea@example.org", "lead", PASSWORD, "Team B", "Bea")
    await login(client, "bea@example.org")
    for url in team_a_urls["get"]:
        assert (await client.get(url)).status_code == 404, url
    for url in team_a_urls["post"]:
        assert (await post_form(client, url)).status_code in {404, 403}, url
    response = await post_form(client, team_a_urls["post"][0])
    assert response.status_code == 404
    page = await client.get("/team")
    assert "Alice" not in page.text


async def test_ids_that_do_not_exist_look_the_same_as_foreign_ones(client, world, team_a_urls):
    await login(client, "dave@example.org")
    foreign = await client.get(team_a_urls["get"][0])
    missing = await client.get("/clients/999999")
    assert foreign.status_code == missing.status_code == 404
    assert unmasked(foreign.text) == unmasked(missing.text)


async def test_own_team_reads_the_client_and_the_read_is_logged(client, world, team_a_urls):
    await login(client, "alice@example.org")
    response = await client.get(team_a_urls["get"][0])
    assert response.status_code == 200 and "Make" in response.text
    rows = await AccessLog.select(AccessLog.user, AccessLog.client, AccessLog.what)
    assert rows == [{"user": world.alice, "client": team_a_urls["client_id"], "what": "client_page"}]


async def test_workers_cannot_open_the_team_page(client, world):
    await login(client, "alice@example.org")
    assert (await client.get("/team")).status_code == 403
    assert (await post_form(client, f"/team/members/{world.bob}/end-sessions")).status_code == 403


async def test_a_lead_ends_every_session_of_a_lost_phone(client, world):
    import httpx

    from server.app import create_app

    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as lost_phone:
        await login(lost_phone, "bob@example.org")
        assert (await lost_phone.get("/api/v1/me")).status_code == 200
        await login(client, "lena@example.org")
        assert "Bob" in (await client.get("/team")).text
        assert (await post_form(client, f"/team/members/{world.bob}/end-sessions")).status_code == 303
        assert (await lost_phone.get("/api/v1/me")).status_code == 401


async def test_only_an_admin_disables_and_sees_every_team(client, world):
    await login(client, "lena@example.org")
    assert (await post_form(client, f"/team/members/{world.bob}/disable")).status_code == 403
    await post_form(client, "/logout")
    await login(client, "ada@example.org")
    page = (await client.get("/team")).text
    assert "Team A" in page and "Team B" in page and "Dave" in page
    assert (await post_form(client, f"/team/members/{world.dave}/disable")).status_code == 303
    assert (await login(client, "dave@example.org")).status_code == 401
