"""The client page's visit timeline in pages: the newest visits on the page, every older one a
"Show older visits" away (a page of its own without JS, swapped in by htmx), each read in the use
log, and the same walls as the client page."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from server.accounts.tables import Pair
from server.casework.client_view import TIMELINE_PAGE
from server.casework.tables import AccessLog, Visit
from tests.support.casework import make_client
from tests.support.fixtures import login

pytestmark = pytest.mark.anyio

OLDER = 7  # visits beyond the first page


@pytest.fixture
async def long_history(world) -> int:
    """A client of Team A with TIMELINE_PAGE + OLDER visits, note n written n hours ago."""
    pair = (await Pair.select(Pair.id).where(Pair.team == world.team_a).first())["id"]
    client_id = await make_client(world.team_a, "Pitkä Historia", pair)
    now = datetime.now(UTC)
    await Visit.insert(
        *[
            Visit(
                uuid=uuid.uuid4(),
                team=world.team_a,
                client=client_id,
                occurred_at=now - timedelta(hours=n),
                kind="street",
                notes=f"Käynti numero {n}.",
                created_by=world.alice,
            )
            for n in range(TIMELINE_PAGE + OLDER)
        ]
    )
    return client_id


def notes(html: str) -> list[int]:
    return [int(n) for n in re.findall(r"Käynti numero (\d+)\.", html)]


def older_link(html: str) -> str | None:
    found = re.search(r'<p class="timeline__more"><a [^>]*href="([^"]+)"[^>]*hx-get="([^"]+)"', html)
    if found is None:
        return None
    assert found.group(1) == found.group(2)  # the same older page with and without JS
    return found.group(1).replace("&amp;", "&")


async def test_the_page_shows_the_newest_visits_and_links_to_the_older_ones(client, world, long_history):
    await login(client, "alice@example.org")
    page = await client.get(f"/clients/{long_history}")
    assert page.status_code == 200
    assert notes(page.text) == list(range(TIMELINE_PAGE))  # newest first, exactly one page
    link = older_link(page.text)
    assert link == f"/clients/{long_history}/visits?offset={TIMELINE_PAGE}"
    assert "Näytä vanhemmat kohtaamiset" in page.text

    # Without JS: a page of its own, with the client's name and the way back.
    older = await client.get(link)
    assert older.status_code == 200 and "<html" in older.text
    assert "Pitkä Historia" in older.text and f'href="/clients/{long_history}"' in older.text
    assert notes(older.text) == list(range(TIMELINE_PAGE, TIMELINE_PAGE + OLDER))
    assert older_link(older.text) is None  # the oldest visit is reached

    # With htmx: only the list and the next link, swapped in place of the link.
    swapped = await client.get(link, headers={"HX-Request": "true"})
    assert swapped.status_code == 200 and "<html" not in swapped.text
    assert notes(swapped.text) == list(range(TIMELINE_PAGE, TIMELINE_PAGE + OLDER))

    reads = await AccessLog.select(AccessLog.client, AccessLog.what, AccessLog.user).where(
        AccessLog.what.is_in(["client_page", "client_visits"])
    )
    assert reads == [
        {"client": long_history, "what": "client_page", "user": world.alice},
        {"client": long_history, "what": "client_visits", "user": world.alice},
        {"client": long_history, "what": "client_visits", "user": world.alice},
    ]


async def test_every_visit_is_reached_page_by_page(client, world, long_history):
    """Visits at the same moment are neither skipped nor shown twice across the pages."""
    same_time = datetime.now(UTC) - timedelta(days=400)
    await Visit.update({Visit.occurred_at: same_time}).where(Visit.client == long_history)
    await login(client, "alice@example.org")
    page = await client.get(f"/clients/{long_history}")
    seen = notes(page.text)
    link = older_link(page.text)
    while link:
        older = await client.get(link, headers={"HX-Request": "true"})
        seen += notes(older.text)
        link = older_link(older.text)
    assert sorted(seen) == list(range(TIMELINE_PAGE + OLDER))


async def test_a_short_history_has_no_older_link(client, world):
    client_id = await make_client(world.team_a, "Lyhyt")
    await login(client, "alice@example.org")
    page = await client.get(f"/clients/{client_id}")
    assert older_link(page.text) is None and "timeline__more" not in page.text


async def test_another_teams_client_older_visits_are_not_found(client, world, long_history):
    await login(client, "dave@example.org")
    answer = await client.get(f"/clients/{long_history}/visits?offset={TIMELINE_PAGE}")
    assert answer.status_code == 404
    assert "Käynti numero" not in answer.text
    refused = await AccessLog.select(AccessLog.outcome, AccessLog.what).where(AccessLog.client == long_history)
    assert refused == [{"outcome": "denied", "what": "client_visits"}]
