"""Two web processes side by side: a session, its CSRF token, a visit's id and the login throttle
are shared through the database, so whichever process answers, the phone sees one server."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from server.casework.tables import Visit
from tests.support.fixtures import PASSWORD
from tests.support.live_server import live_server

pytestmark = pytest.mark.anyio


async def test_a_visit_sent_to_one_process_and_resent_to_the_other_is_stored_once(world):
    async with live_server() as (first_url, _a), live_server() as (second_url, _b):
        async with httpx.AsyncClient(base_url=first_url) as first, httpx.AsyncClient(base_url=second_url) as second:
            page = await first.get("/login")
            token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
            logged_in = await first.post(
                "/login", data={"email": "alice@example.org", "password": PASSWORD, "_csrf_token": token}
            )
            assert logged_in.status_code == 303
            second.cookies.update(first.cookies)  # the load balancer sends the next request elsewhere
            csrf = first.cookies["csrftoken"]
            visit = {
                "id": str(uuid.uuid4()),
                "anonymous_count": 2,
                "kind": "street",
                "occurred_at": "2026-11-20T21:00:00+02:00",
            }
            created = await first.post("/api/v1/visits", json=visit, headers={"x-csrftoken": csrf})
            replayed = await second.post("/api/v1/visits", json=visit, headers={"x-csrftoken": csrf})
            assert (created.status_code, replayed.status_code) == (201, 200)
            assert await Visit.count().where(Visit.uuid == uuid.UUID(visit["id"])) == 1
            # Logging out on one process ends the session on the other too.
            await second.post("/logout", headers={"x-csrftoken": csrf})
            assert (await first.get("/api/v1/me")).status_code == 401
