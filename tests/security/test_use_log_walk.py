"""Every unsafe route of the app that touches a client, called once: exactly one new use-log row.

The list of unsafe routes comes from the app itself. Each is either in `CLIENT_CALLS` (how to call
it on team A's client, by whom, and the action the use log must record) or in `NO_CLIENT` with
why it touches no client's data; `test_every_unsafe_route_is_classified` fails on a route in
neither, so a new form or API write cannot skip the use log unnoticed.

Each call is made as a user of the app would (plain form with the CSRF field, htmx, or JSON with
the CSRF header) and must add exactly one row to the use log: the acting user, team A's client,
outcome ok and the action named (create, update, status, delete, read, search).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest

from server.accounts.services import add_user
from server.app import create_app
from server.casework.tables import AccessLog, Client, FollowUp
from server.push.tables import ReminderLink
from server.services.tables import Referral
from tests.support.casework import api, make_client
from tests.support.fixtures import PASSWORD, csrf_token, login
from tests.support.team_a import TeamA, make_team_a

pytestmark = pytest.mark.anyio

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

# Unsafe routes that touch no client's data, each with why.
NO_CLIENT = {
    ("POST", "/login"): "account",
    ("POST", "/invite/{token:str}"): "a new member sets their password",
    ("POST", "/settings/password"): "the user changes their own password",
    ("POST", "/team/members"): "a new member's account",
    ("POST", "/team/pairs"): "a work pair",
    ("POST", "/team/pairs/{pair_id:int}/end"): "a work pair",
    ("POST", "/team/reviews"): "the team's review rhythm",
    ("POST", "/r/{token:str}/sharing"): "the client's own consent on their link page (no worker)",
    ("POST", "/login/code"): "account (the second factor's step)",
    ("POST", "/api/v1/device/wipe-check"): "a phone asks whether it was wiped; no client data",
    ("POST", "/logout"): "account",
    ("POST", "/language"): "account",
    ("POST", "/settings/calendar"): "the worker's feed token",
    ("POST", "/settings/calendar/revoke"): "feed token",
    ("POST", "/settings/sessions/{session_id:int}/end"): "sessions",
    ("POST", "/settings/sessions/end-others"): "sessions",
    ("POST", "/settings/mfa/start"): "second factor",
    ("POST", "/settings/mfa/confirm"): "second factor",
    ("POST", "/settings/mfa/disable"): "second factor",
    ("POST", "/settings/mfa/recovery-codes"): "second factor",
    ("POST", "/team/members/{user_id:int}/end-sessions"): "a worker's sessions",
    ("POST", "/team/members/{user_id:int}/disable"): "a worker's account",
    ("DELETE", "/api/v1/users/{email:str}/sessions"): "a worker's sessions",
    ("POST", "/api/v1/device/key"): "a key derived from the user and device, no client data",
    ("POST", "/services"): "the organisation's service directory",
    ("POST", "/services/{service_id:int}/retire"): "the organisation's service directory",
    ("POST", "/api/v1/push/subscriptions"): "the worker's own phone",
    ("DELETE", "/api/v1/push/subscriptions/{subscription_id:int}"): "the worker's own phone",
    ("POST", "/api/v1/push/subscriptions/remove"): "the worker's own phone",
    ("POST", "/api/v1/push/test"): "the worker's own phone",
    ("POST", "/settings/push/test"): "own phone",
    ("POST", "/settings/push/devices/{subscription_id:int}/remove"): "the worker's own phone",
    ("POST", "/team/reminders"): "the team's reminder rules",
    # The client's own phone, by the client through their link: no worker processes anything.
    ("POST", "/r/{token:str}/subscription"): "the client themself",
    ("POST", "/r/{token:str}/subscription/remove"): "the client themself",
    ("POST", "/lead/targets"): "team targets",
    ("POST", "/debriefs"): "the pair's debrief",
    ("POST", "/debriefs/{debrief_id:int}/notes"): "debrief",
    ("POST", "/api/v1/debriefs"): "debrief",
    ("POST", "/api/v1/debriefs/{debrief_id:int}/notes"): "debrief",
    ("POST", "/lead/requests/{debrief_id:int}/done"): "debrief",
    ("POST", "/supervision"): "supervision",
    ("POST", "/api/v1/supervision"): "supervision",
    ("POST", "/hours"): "working hours",
    ("POST", "/hours/limit"): "working hours",
    ("POST", "/api/v1/hours"): "working hours",
    ("POST", "/api/v1/hours/limit"): "working hours",
    ("POST", "/hours/rates"): "pay rates",
    ("POST", "/team/members/{user_id:int}/terms"): "terms of work",
}


@dataclass
class Walk:
    """Team A's objects and one logged-in phone per person."""

    a: TeamA
    alice: httpx.AsyncClient
    dave: httpx.AsyncClient
    service: int


Call = Callable[[Walk], Awaitable[httpx.Response]]


@dataclass
class ClientCall:
    method: str
    path: str  # the route's path as the app names it
    label: str
    call: Call
    action: str | None  # None: nothing new stored, so nothing logged
    by: str = "alice"


async def form(http: httpx.AsyncClient, path: str, data: dict, htmx: bool = False) -> httpx.Response:
    headers = {"HX-Request": "true"} if htmx else {}
    return await http.post(path, data={**data, "_csrf_token": await csrf_token(http)}, headers=headers)


async def _open_link(w: Walk) -> int:
    row = await (
        ReminderLink.select(ReminderLink.id)
        .where(ReminderLink.revoked_at.is_null())
        .order_by(ReminderLink.id, ascending=False)
        .first()
    )
    return row["id"]


async def _open_followup(w: Walk) -> int:
    row = await FollowUp.select(FollowUp.id).where(FollowUp.client == w.a.client).order_by(FollowUp.id).first()
    return row["id"]


async def _version(w: Walk) -> int:
    """The client's current version, read behind the app's back (no use-log row)."""
    row = await Client.select(Client.version).where(Client.id == w.a.client).first()
    return row["version"]


async def _referral_in(status: str) -> int:
    row = await Referral.select(Referral.id).where(Referral.status == status).order_by(Referral.id).first()
    return row["id"]


VISIT_REPLAYED = str(uuid.uuid4())
AGREEMENT = {
    "kind": "social_rehabilitation",
    "starts_on": "2026-12-01",
    "ends_on": "2027-05-31",
    "goals": [{"text": "Oma asunto"}],
}
REVIEW = {"held_on": "2026-12-01", "together": True, "scores": {"housing": 3}}

CLIENT_CALLS: list[ClientCall] = [
    # Plain HTML forms
    ClientCall(
        "POST", "/clients/search", "search", lambda w: form(w.alice, "/clients/search", {"q": "Kettu"}), "search"
    ),
    ClientCall(
        "POST",
        "/clients/new",
        "new client",
        lambda w: form(
            w.alice,
            "/clients/new",
            {"pseudonym": "Uusi Kettu", "status": "active", "came_from": "street", "consent_data": "on"},
        ),
        "create",
    ),
    ClientCall(
        "POST",
        "/clients/{client_id:int}/edit",
        "edit",
        lambda w: _then(
            _version(w),
            lambda version: form(
                w.alice,
                f"/clients/{w.a.client}/edit",
                {"pseudonym": "SALAINEN Kettu", "status": "active", "came_from": "street", "version": version},
            ),
        ),
        "update",
    ),
    ClientCall(
        "POST",
        "/clients/{client_id:int}/edit",
        "edit: paused",
        lambda w: _then(
            _version(w),
            lambda version: form(
                w.alice,
                f"/clients/{w.a.client}/edit",
                {"pseudonym": "SALAINEN Kettu", "status": "paused", "came_from": "street", "version": version},
            ),
        ),
        "status",
    ),
    ClientCall(
        "POST",
        "/clients/{client_id:int}/followups",
        "follow-up",
        lambda w: form(w.alice, f"/clients/{w.a.client}/followups", {"due_at": "2026-11-30T09:00", "note": "Soita"}),
        "create",
    ),
    ClientCall(
        "POST",
        "/clients/{client_id:int}/appointments",
        "appointment",
        lambda w: form(
            w.alice, f"/clients/{w.a.client}/appointments", {"starts_at": "2026-12-01T10:00", "place": "Kela"}
        ),
        "create",
    ),
    ClientCall(
        "POST",
        "/clients/{client_id:int}/referrals",
        "referral",
        lambda w: form(
            w.alice, f"/clients/{w.a.client}/referrals", {"service_id": str(w.service), "note": "Lomakkeelta"}
        ),
        "create",
    ),
    ClientCall(
        "POST",
        "/services/{service_id:int}/refer",
        "referral from the directory",
        lambda w: form(w.alice, f"/services/{w.service}/refer", {"client_id": str(w.a.client), "note": "Hakemistosta"}),
        "create",
    ),
    ClientCall(
        "POST",
        "/referrals/{referral_id:int}/status",
        "referral contacted",
        lambda w: _then(
            _referral_in("referred"), lambda rid: form(w.alice, f"/referrals/{rid}/status", {"status": "contacted"})
        ),
        "status",
    ),
    ClientCall(
        "POST",
        "/visits",
        "visit",
        lambda w: form(
            w.alice,
            "/visits",
            {
                "client_id": str(w.a.client),
                "kind": "street",
                "place": "Asema",
                "notes": "Kahvilla",
                "next_followup_on": "2026-12-02",
            },
        ),
        "create",
    ),
    ClientCall(
        "POST",
        "/followups/{followup_id:int}/{change:str}",
        "follow-up done",
        lambda w: _then(_open_followup(w), lambda fid: form(w.alice, f"/followups/{fid}/done", {"next": "/"})),
        "status",
    ),
    ClientCall(
        "POST",
        "/followups/{followup_id:int}/{change:str}",
        "follow-up undone (htmx)",
        lambda w: _then(_open_followup(w), lambda fid: form(w.alice, f"/followups/{fid}/undone", {}, htmx=True)),
        "status",
    ),
    ClientCall(
        "POST",
        "/clients/{client_id:int}/reminder-links",
        "reminder link",
        lambda w: form(w.alice, f"/clients/{w.a.client}/reminder-links", {"language": "fi"}),
        "create",
    ),
    ClientCall(
        "POST",
        "/reminder-links/{link_id:int}/revoke",
        "revoke link",
        lambda w: _then(_open_link(w), lambda lid: form(w.alice, f"/reminder-links/{lid}/revoke", {})),
        "delete",
    ),
    ClientCall(
        "POST",
        "/clients/other-teams",
        "organisation search",
        lambda w: form(w.dave, "/clients/other-teams", {"q": "salainen", "birth_year": "1990"}),
        "search",
        by="dave",
    ),
    ClientCall(
        "POST",
        "/clients/{client_id:int}/break-glass",
        "break-glass",
        lambda w: form(w.dave, f"/clients/{w.a.client}/break-glass", {"reason": "Yövuoro, asiakas ensisuojassa"}),
        "read",
        by="dave",
    ),
    # The JSON API
    ClientCall(
        "POST",
        "/api/v1/clients",
        "API client",
        lambda w: api(w.alice, "POST", "/api/v1/clients", {"pseudonym": "Rapi Kettu"}),
        "create",
    ),
    ClientCall(
        "POST",
        "/api/v1/clients/search",
        "API search",
        lambda w: api(w.alice, "POST", "/api/v1/clients/search", {"q": "salainen"}),
        "search",
    ),
    ClientCall(
        "PATCH",
        "/api/v1/clients/{client_id:int}",
        "API edit",
        lambda w: _then(
            _version(w),
            lambda version: api(
                w.alice, "PATCH", f"/api/v1/clients/{w.a.client}", {"phone": "040 555", "version": version}
            ),
        ),
        "update",
    ),
    ClientCall(
        "PATCH",
        "/api/v1/clients/{client_id:int}",
        "API status",
        lambda w: _then(
            _version(w),
            lambda version: api(
                w.alice, "PATCH", f"/api/v1/clients/{w.a.client}", {"status": "active", "version": version}
            ),
        ),
        "status",
    ),
    ClientCall(
        "POST",
        "/api/v1/visits",
        "API visit",
        lambda w: api(
            w.alice, "POST", "/api/v1/visits", {"id": VISIT_REPLAYED, "client_id": w.a.client, "kind": "street"}
        ),
        "create",
    ),
    ClientCall(
        "POST",
        "/api/v1/visits",
        "API visit replayed",
        lambda w: api(
            w.alice, "POST", "/api/v1/visits", {"id": VISIT_REPLAYED, "client_id": w.a.client, "kind": "street"}
        ),
        None,
    ),
    ClientCall(
        "POST",
        "/api/v1/followups",
        "API follow-up",
        lambda w: api(
            w.alice,
            "POST",
            "/api/v1/followups",
            {"client_id": w.a.client, "due_at": "2026-12-03T09:00", "note": "Soita"},
        ),
        "create",
    ),
    ClientCall(
        "PATCH",
        "/api/v1/followups/{followup_id:int}",
        "API follow-up done",
        lambda w: _then(
            _open_followup(w), lambda fid: api(w.alice, "PATCH", f"/api/v1/followups/{fid}", {"done": True})
        ),
        "status",
    ),
    ClientCall(
        "POST",
        "/api/v1/appointments",
        "API appointment",
        lambda w: api(
            w.alice, "POST", "/api/v1/appointments", {"client_id": w.a.client, "starts_at": "2026-12-04T10:00"}
        ),
        "create",
    ),
    ClientCall(
        "POST",
        "/clients/{client_id:int}/release-plan",
        "release plan",
        lambda w: form(w.alice, f"/clients/{w.a.client}/release-plan", {"state_housing": "done"}),
        "update",
    ),
    ClientCall(
        "PUT",
        "/api/v1/clients/{client_id:int}/release-plan",
        "API release plan",
        lambda w: api(w.alice, "PUT", f"/api/v1/clients/{w.a.client}/release-plan", {"items": {"gate": "done"}}),
        "update",
    ),
    ClientCall(
        "POST",
        "/clients/{client_id:int}/agreements",
        "agreement",
        lambda w: form(
            w.alice,
            f"/clients/{w.a.client}/agreements",
            {"kind": "social_rehabilitation", "starts_on": "2026-12-01", "ends_on": "2027-05-31", "goal_1": "Työ"},
        ),
        "create",
    ),
    ClientCall(
        "POST",
        "/agreements/{agreement_id:int}/status",
        "agreement ended",
        lambda w: form(w.alice, f"/agreements/{w.a.agreement}/status", {"status": "ended"}),
        "update",
    ),
    ClientCall(
        "POST",
        "/goals/{goal_id:int}/status",
        "goal progressing",
        lambda w: form(w.alice, f"/goals/{w.a.goal}/status", {"status": "progressing"}),
        "update",
    ),
    ClientCall(
        "POST",
        "/clients/{client_id:int}/reviews",
        "review",
        lambda w: form(
            w.alice, f"/clients/{w.a.client}/reviews", {"held_on": "2026-12-01", "together": "1", "score_housing": "3"}
        ),
        "create",
    ),
    ClientCall(
        "POST",
        "/api/v1/clients/{client_id:int}/agreements",
        "API agreement",
        lambda w: api(w.alice, "POST", f"/api/v1/clients/{w.a.client}/agreements", AGREEMENT),
        "create",
    ),
    ClientCall(
        "PATCH",
        "/api/v1/agreements/{agreement_id:int}",
        "API agreement active",
        lambda w: api(w.alice, "PATCH", f"/api/v1/agreements/{w.a.agreement}", {"status": "active"}),
        "update",
    ),
    ClientCall(
        "PATCH",
        "/api/v1/goals/{goal_id:int}",
        "API goal reached",
        lambda w: api(w.alice, "PATCH", f"/api/v1/goals/{w.a.goal}", {"status": "reached"}),
        "update",
    ),
    ClientCall(
        "POST",
        "/api/v1/clients/{client_id:int}/reviews",
        "API review",
        lambda w: api(w.alice, "POST", f"/api/v1/clients/{w.a.client}/reviews", REVIEW),
        "create",
    ),
    ClientCall(
        "POST",
        "/api/v1/referrals",
        "API referral",
        lambda w: api(
            w.alice, "POST", "/api/v1/referrals", {"client_id": w.a.client, "service_id": w.service, "note": "API"}
        ),
        "create",
    ),
    ClientCall(
        "PATCH",
        "/api/v1/referrals/{referral_id:int}",
        "API referral attended",
        lambda w: _then(
            _referral_in("contacted"),
            lambda rid: api(w.alice, "PATCH", f"/api/v1/referrals/{rid}", {"status": "attended"}),
        ),
        "status",
    ),
    ClientCall(
        "POST",
        "/api/v1/clients/{client_id:int}/reminder-link",
        "API reminder link",
        lambda w: api(w.alice, "POST", f"/api/v1/clients/{w.a.client}/reminder-link", {"language": "sv"}),
        "create",
    ),
    ClientCall(
        "DELETE",
        "/api/v1/reminder-links/{link_id:int}",
        "API revoke link",
        lambda w: _then(_open_link(w), lambda lid: api(w.alice, "DELETE", f"/api/v1/reminder-links/{lid}")),
        "delete",
    ),
    ClientCall(
        "POST",
        "/api/v1/clients/search-organisation",
        "API organisation search",
        lambda w: api(w.dave, "POST", "/api/v1/clients/search-organisation", {"q": "salainen", "birth_year": 1990}),
        "search",
        by="dave",
    ),
    ClientCall(
        "POST",
        "/api/v1/clients/{client_id:int}/break-glass",
        "API break-glass",
        lambda w: api(w.dave, "POST", f"/api/v1/clients/{w.a.client}/break-glass", {"reason": "Yövuoro"}),
        "read",
        by="dave",
    ),
]


async def _then(first: Awaitable[int], then: Callable[[int], Awaitable[httpx.Response]]) -> httpx.Response:
    return await then(await first)


def unsafe_routes() -> set[tuple[str, str]]:
    found = set()
    for route in create_app().routes:
        for handler in route.route_handlers:
            for method in getattr(handler, "http_methods", ()):
                if method in UNSAFE:
                    found.add((method, route.path))
    return found


def test_every_unsafe_route_is_classified():
    called = {(item.method, item.path) for item in CLIENT_CALLS}
    unclassified = sorted(unsafe_routes() - called - set(NO_CLIENT))
    assert not unclassified, (
        "unsafe routes neither called in CLIENT_CALLS (with the use-log action they must "
        f"write) nor listed in NO_CLIENT with why: {unclassified}"
    )
    assert not (called | set(NO_CLIENT)) - unsafe_routes(), "a listed route no longer exists"
    assert not called & set(NO_CLIENT)


def _phone() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app()), base_url="http://testserver.local")


async def test_every_client_write_is_one_use_log_row_with_its_action(client, world):
    team_a = await make_team_a(world)
    service = (await Referral.select(Referral.service).first())["service"]
    users = {"alice": world.alice, "dave": world.dave}
    problems = []
    async with _phone() as dave:
        assert (await login(client, "alice@example.org")).status_code == 303
        assert (await login(dave, "dave@example.org")).status_code == 303
        walk = Walk(team_a, client, dave, service)
        for item in CLIENT_CALLS:
            last = await AccessLog.select(AccessLog.id).order_by(AccessLog.id, ascending=False).first()
            answer = await item.call(walk)
            where = f"{item.method} {item.path} ({item.label})"
            if answer.status_code >= 400:
                problems.append(f"{where}: {answer.status_code} {answer.text[:200]!r}")
                continue
            rows = await AccessLog.select(
                AccessLog.user, AccessLog.team, AccessLog.client, AccessLog.action, AccessLog.outcome
            ).where(AccessLog.id > last["id"])
            expected = [] if item.action is None else [(users[item.by], world.team_a, item.action, "ok")]
            got = [(row["user"], row["team"], row["action"], row["outcome"]) for row in rows]
            if got != expected:
                problems.append(f"{where}: use log rows {got}, expected {expected}")
            elif item.action not in (None, "create") and rows[0]["client"] != team_a.client:
                problems.append(f"{where}: logged client {rows[0]['client']}, not {team_a.client}")
    assert problems == [], "\n".join(problems)


async def test_the_use_log_names_the_object_written_and_a_new_client(client, world):
    """A create names the new client and the object (kind and id), never what was written in it."""
    await login(client, "alice@example.org")
    made = await api(client, "POST", "/api/v1/clients", {"pseudonym": "Rapi Kettu"})
    followup = await api(
        client,
        "POST",
        "/api/v1/followups",
        {"client_id": made.json()["id"], "due_at": "2026-12-03T09:00", "note": "Soita Kelaan"},
    )
    rows = await AccessLog.select(AccessLog.client, AccessLog.action, AccessLog.object).order_by(AccessLog.id)
    assert rows == [
        {"client": made.json()["id"], "action": "create", "object": "client"},
        {"client": made.json()["id"], "action": "create", "object": f"followup:{followup.json()['id']}"},
    ]
    assert "Soita" not in str(await AccessLog.select())


async def test_bad_input_stores_nothing_and_logs_no_write(client, world):
    """Bad input stores nothing, so the use log has nothing to record."""
    client_id = await make_client(world.team_a, "Kettu")
    await login(client, "alice@example.org")
    bad = await api(client, "POST", "/api/v1/followups", {"client_id": client_id, "due_at": "", "note": ""})
    assert bad.status_code == 422
    page = await form(client, f"/clients/{client_id}/appointments", {"starts_at": "huomenna"})
    assert page.status_code == 422
    assert await AccessLog.count().where(AccessLog.action != "read") == 0


async def test_a_write_refused_at_another_teams_client_is_no_write_row(client, world):
    """A lead of team B posting to team A's client gets 404; nothing is stored, so no write is logged."""
    await add_user("bea@example.org", "lead", PASSWORD, "Team B", "Bea")
    team_a = await make_team_a(world)
    await login(client, "bea@example.org")
    answer = await form(client, f"/clients/{team_a.client}/followups", {"due_at": "2026-11-30T09:00", "note": "x"})
    assert answer.status_code == 404
    rows = await AccessLog.select(AccessLog.action, AccessLog.outcome).where(AccessLog.user != world.alice)
    assert all(row == {"action": "read", "outcome": "denied"} for row in rows)
    assert "SALAINEN" not in answer.text
