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
