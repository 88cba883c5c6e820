"""Small things a worker meets on a phone: addresses that open, an anonymous contact logged in seconds,
a page that does not jump, charts a screen reader can enter, and buttons that say they are busy."""

from __future__ import annotations

import re

import httpx
import pytest

from server.cli import default_base_url
from tests.support.fixtures import login, post_form
from tests.support.live_server import live_server

pytestmark = pytest.mark.anyio


def test_the_default_base_url_follows_the_served_address():
    assert default_base_url("127.0.0.1", 8123) == "http://localhost:8123"
    assert default_base_url("192.168.1.20", 9000) == "http://192.168.1.20:9000"
    lan = default_base_url("0.0.0.0", 8000)  # nosec B104 - the address a phone on the network can open
    assert lan.endswith(":8000") and "0.0.0.0" not in lan


async def test_serve_on_another_port_gives_a_calendar_address_that_opens(world):
    """`make run PORT=…` without BASE_URL: the .ics address shown once is on the served port and answers."""
    async with live_server({"LOG_FILE": ""}) as (base_url, _process):
        port = base_url.rsplit(":", 1)[1]
        async with httpx.AsyncClient(base_url=base_url) as http:
            assert (await login(http, "bob@example.org")).status_code == 303
            page = await post_form(http, "/settings/calendar")
            feed = re.search(r"(http://[^\"<\s]+/calendar/[^\"<\s]+\.ics)", page.text)
            assert feed, page.text[:2000]
            assert feed.group(1).startswith(f"http://localhost:{port}/calendar/")
            async with httpx.AsyncClient() as calendar_app:
                answer = await calendar_app.get(feed.group(1).replace("localhost", "127.0.0.1"))
            assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
