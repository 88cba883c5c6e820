"""An administrator reads a client's full record only with a reason (issue 19, item 10).

An administrator's scope is every team, for running the organisation; a client's record of a team
they are not in opens like break-the-glass: a reason first, read only for 12 hours, logged with
the reason and shown to the client's team leads on /lead and in the dashboard API.
"""

from __future__ import annotations

import uuid

import pytest

from server.accounts.services import add_user
from server.audit.tables import GlassAccess
from server.casework.tables import AccessLog, Client, Visit
from server.timeutil import utcnow
from tests.support.casework import api, make_client
from tests.support.fixtures import PASSWORD, login, post_form

pytestmark = pytest.mark.anyio

REASON = "Tietopyyntö: asiakas pyysi korjaamaan tietonsa"


async def test_an_admin_is_asked_for_a_reason_and_shown_nothing_of_the_record(client, world):
    client_id = await make_client(world.team_a, "Lintu", phone="040 123 4567", legal_name="Matti Meikäläinen")
    await login(client, "ada@example.org")
    for path in (f"/clients/{client_id}", f"/clients/{client_id}/edit"):
        page = await client.get(path)
        assert page.status_code == 200, path
        assert f'action="/clients/{client_id}/break-glass"' in page.text and 'name="reason"' in page.text
        assert "Team A" in page.text
        assert "Lintu" not in page.text and "040 123" not in page.text and "Meikäläinen" not in page.text
    refused = await api(client, "GET", f"/api/v1/clients/{client_id}")
    assert refused.status_code == 403 and "040 123" not in refused.text
    for part in ("visits", "followups", "appointments", "referrals"):  # the record, piece by piece
        assert (await client.get(f"/api/v1/{part}?client_id={client_id}")).status_code == 403, part
    visit = await Visit.insert(
        Visit(
            uuid=uuid.uuid4(),
            team=world.team_a,
            client=client_id,
            occurred_at=utcnow(),
            notes="Asunto haussa",
            created_by=world.alice,
            received_at=utcnow(),
        )
    ).returning(Visit.uuid)
    one = await client.get(f"/api/v1/visits/{visit[0]['uuid']}")
    assert one.status_code == 403 and "Asunto" not in one.text
    assert await AccessLog.count().where(AccessLog.user == world.ada) == 0
    assert await GlassAccess.count() == 0


async def test_with_a_reason_the_admin_reads_the_record_read_only_and_every_use_carries_it(client, world):
    client_id = await make_client(world.team_a, "Lintu", phone="040 123 4567")
    await login(client, "ada@example.org")
    empty = await post_form(client, f"/clients/{client_id}/break-glass", {"reason": "  "})
    assert empty.status_code == 422 and 'id="reason-error"' in empty.text and "Lintu" not in empty.text
    opened = await post_form(client, f"/clients/{client_id}/break-glass", {"reason": REASON})
    assert opened.status_code == 303 and opened.headers["location"] == f"/clients/{client_id}"
    page = await client.get(f"/clients/{client_id}")
    assert page.status_code == 200 and "040 123 4567" in page.text and REASON in page.text
    assert 'action="/clients/' not in page.text  # read only
    assert (await api(client, "GET", f"/api/v1/clients/{client_id}")).json()["phone"] == "040 123 4567"
    assert (await client.get(f"/clients/{client_id}/edit")).status_code == 404
    assert (await client.get(f"/api/v1/visits?client_id={client_id}")).status_code == 200  # none yet: no row
    uses = await AccessLog.select(AccessLog.basis, AccessLog.reason, AccessLog.role).where(AccessLog.user == world.ada)
    assert len(uses) == 3 and all(u == {"basis": "admin_reason", "reason": REASON, "role": "admin"} for u in uses)
    assert (await Client.select(Client.phone).where(Client.id == client_id).first())["phone"] == "040 123 4567"


async def test_the_clients_team_leads_see_the_admins_reason(client, world):
    client_id = await make_client(world.team_a, "Lintu")
    await login(client, "ada@example.org")
    assert (
        await api(client, "POST", f"/api/v1/clients/{client_id}/break-glass", {"reason": REASON})
    ).status_code == 201
    await add_user("bea@example.org", "lead", PASSWORD, "Team B", "Bea")

    client.cookies.clear()
    await login(client, "lena@example.org")
    openings = (await client.get("/api/v1/dashboard")).json()["break_glass"]
    assert [(o["user"], o["by_admin"], o["reason"], o["pseudonym"]) for o in openings] == [
        ("Ada", True, REASON, "Lintu")
    ]
    lead_page = await client.get("/lead")  # in Finnish, the lead's language
    assert REASON in lead_page.text and "Ada (Ylläpitäjä)" in lead_page.text
    report = (await api(client, "GET", f"/api/v1/clients/{client_id}/log-report")).json()
    assert {(u["user"], u["basis"], u["reason"]) for u in report["uses"] if u["user"] == "Ada"} == {
        ("Ada", "admin_reason", REASON)
    }

    client.cookies.clear()
    await login(client, "bea@example.org")  # another team's lead: not their client, not their worker
    assert (await client.get("/api/v1/dashboard")).json()["break_glass"] == []


async def test_an_admin_in_the_clients_own_team_needs_no_reason(client, world):
    admin = await add_user("aino@example.org", "admin", PASSWORD, "Team A", "Aino")
    client_id = await make_client(world.team_a, "Lintu")
    await login(client, "aino@example.org")
    assert (await api(client, "GET", f"/api/v1/clients/{client_id}")).status_code == 200
    uses = await AccessLog.select(AccessLog.basis).where(AccessLog.user == admin)
    assert uses == [{"basis": "team"}]
