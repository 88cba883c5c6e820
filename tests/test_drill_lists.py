"""The lists behind the dashboard's numbers say why each client is there, and flag overdue
supervision against each person's own rhythm (server/dashboard/figures.py, lead_list.html)."""

import re
import uuid
from datetime import timedelta

import pytest

from server.accounts.tables import Pair
from server.casework.tables import FollowUp, Visit
from server.rhythm.tables import Supervision, WorkerTerms
from server.timeutil import local_today, utcnow
from tests.support.casework import make_client
from tests.support.fixtures import login

pytestmark = pytest.mark.anyio


@pytest.fixture
async def listed(world):
    pair = (await Pair.select(Pair.id).first())["id"]
    late = await make_client(world.team_a, "Myöhässä", pair)
    later = await make_client(world.team_a, "Vanhin", pair)
    gone = await make_client(world.team_a, "Kadonnut", pair)
    now = utcnow()
    for client, due in (
        (late, now - timedelta(days=3)),
        (later, now - timedelta(days=9)),
        (later, now - timedelta(days=1)),
        (later, now + timedelta(days=5)),
    ):
        await FollowUp.insert(FollowUp(team=world.team_a, client=client, pair=pair, due_at=due, note="x"))
    for client, ago in ((late, 2), (later, 40), (later, 45)):
        await Visit.insert(
            Visit(
                uuid=uuid.uuid4(),
                team=world.team_a,
                client=client,
                created_by=world.alice,
                occurred_at=now - timedelta(days=ago),
            )
        )
    # Alice had supervision 10 days ago (rhythm 4 weeks: fine); Bob is a new experience expert
    # (every 2 weeks) whose last session was 20 days ago: overdue by 6 days.
    await WorkerTerms.insert(WorkerTerms(user=world.bob, started_on=local_today() - timedelta(days=60)))
    await Supervision.insert(
        Supervision(user=world.alice, team=world.team_a, occurred_on=local_today() - timedelta(days=10), kind="group"),
        Supervision(
            user=world.bob, team=world.team_a, occurred_on=local_today() - timedelta(days=20), kind="individual"
        ),
    )
    return {"pair": pair, "late": late, "later": later, "gone": gone}


def _rows(html: str) -> list[str]:
    return re.findall(r'<li class="list-item drill-row"[^>]*>(.*?)</li>', html, re.S)


async def test_the_overdue_list_shows_the_pair_the_oldest_due_day_and_links_each_client(client, world, listed):
    await login(client, "lena@example.org")
    client.cookies.set("lang", "en", domain="testserver.local")
    html = (await client.get(f"/lead/clients?show=overdue&pair={listed['pair']}")).text
    rows = [row for row in _rows(html) if "/clients/" in row]
    assert [re.search(r'href="/clients/(\d+)"', row).group(1) for row in rows] == [
        str(listed["later"]),
        str(listed["late"]),
    ]  # the longest-waiting first
    assert "Alice – Bob" in rows[0] and "2 follow-ups overdue" in rows[0] and "oldest due" in rows[0]
    assert "1 follow-up overdue" in rows[1]


async def test_the_out_of_touch_list_says_how_long_since_the_last_visit(client, world, listed):
    await login(client, "lena@example.org")
    client.cookies.set("lang", "fi", domain="testserver.local")
    html = (await client.get("/lead/clients?show=no_contact")).text
    rows = [row for row in _rows(html) if "/clients/" in row]
    assert "Kadonnut" in rows[0] and "Ei koskaan tavattu" in rows[0]  # never met: first
    assert "Vanhin" in rows[1] and "Tavattu viimeksi 40 päivää sitten" in rows[1]
    assert not any("Myöhässä" in row for row in rows)  # met two days ago


async def test_supervision_is_flagged_against_each_persons_rhythm(client, world, listed):
    await login(client, "lena@example.org")
    client.cookies.set("lang", "en", domain="testserver.local")
    html = (await client.get("/lead/clients?show=supervision")).text
    rows = _rows(html)
    assert "Bob" in rows[0] and "every 2 weeks" in rows[0] and "6 days overdue" in rows[0]
    assert "Alice" in rows[1] and "every 4 weeks" in rows[1] and "overdue" not in rows[1]
    pair_list = (await client.get(f"/lead/clients?show=active&pair={listed['pair']}")).text
    assert "6 days overdue" in pair_list  # the pair's own list says it too


async def test_workers_and_other_teams_leads_see_no_supervision_list(client, world, listed):
    from server.accounts.services import add_user
    from tests.support.fixtures import PASSWORD

    await login(client, "alice@example.org")
    assert (await client.get("/lead/clients?show=supervision")).status_code == 403
    client.cookies.clear()
    await add_user("bea@example.org", "lead", PASSWORD, "Team B", "Bea")
    await login(client, "bea@example.org")
    html = (await client.get("/lead/clients?show=supervision")).text
    assert "Bob" not in html and "Alice" not in html
