"""Issue 19 (trust), the access items: no lockout by a stranger, no listing of other teams'
clients, leads within their teams, a lost phone that goes quiet, client links, cross-site reads.
Each test here failed on 0.3.0."""

from __future__ import annotations

import pytest

from server.casework.tables import AccessLog
from tests.support.casework import make_client
from tests.test_client_link import _link

pytestmark = pytest.mark.anyio


# --- 8: client links ---------------------------------------------------------------------------

async def test_a_client_link_page_keeps_its_no_referrer_policy(client, world):
    path, _client_id = await _link(client, world)
    page = await client.get(path)
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"
    assert (await client.get("/login")).headers["referrer-policy"] == "same-origin"


async def test_wrong_link_tokens_slow_the_address_but_a_right_token_gets_through(client, world):
    path, _client_id = await _link(client, world)
    for attempt in range(10):
        assert (await client.get(f"/r/{'x' * 43}{attempt}")).status_code == 404
    wrong = await client.get(f"/r/{'x' * 43}z")
    assert wrong.status_code == 429 and int(wrong.headers["retry-after"]) > 0
    # The client on the same shelter Wi-Fi opens their own link all the same.
    assert (await client.get(path)).status_code == 200


# --- 9: a cross-site navigation does not frame a worker -----------------------------------------

@pytest.mark.parametrize("path", ["/clients/{id}", "/clients/{id}/edit", "/api/v1/clients/{id}"])
async def test_a_cross_site_link_to_another_teams_client_leaves_no_denied_row_in_the_workers_name(
        client, world, path):
    from tests.support.fixtures import login

    client_id = await make_client(world.team_a, "Make")
    await login(client, "dave@example.org")
    # A page elsewhere links (or redirects) Dave's browser to team A's client: Dave did nothing.
    framed = await client.get(path.format(id=client_id), headers={"Sec-Fetch-Site": "cross-site",
                                                                   "Sec-Fetch-Mode": "navigate"})
    assert framed.status_code == 404 and "Make" not in framed.text
    assert await AccessLog.count() == 0
    # Dave himself trying (typed, or from a page of ours) is still refused and logged.
    tried = await client.get(path.format(id=client_id), headers={"Sec-Fetch-Site": "same-origin"})
    assert tried.status_code == 404
    rows = await AccessLog.select(AccessLog.user, AccessLog.outcome).where(AccessLog.client == client_id)
    assert rows == [{"user": world.dave, "outcome": "denied"}]
