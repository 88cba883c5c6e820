"""Every route of the app that names an object, walked by another team with team A's ids (§5 #1, #2; G1).

The list of routes comes from the app itself. A route whose path parameters are all in
`TEAM_A_OBJECT` is walked automatically; a route with any other parameter has to be listed in
`EXEMPT` with its reason, or `test_every_route_with_a_parameter_is_walked_or_exempt` fails. So a
new route cannot slip past the walls unclassified.

Each route is asked for each of its methods by a worker of team B (routes a worker may call) and
by a lead of team B (every route): with a valid CSRF token for unsafe methods, as a plain request
and as an htmx request for HTML routes. Every answer must be 404, byte for byte the same as for
an id that does not exist, with none of team A's text in it, and no table may change.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest
from litestar.handlers.http_handlers import HTTPRouteHandler

from server.accounts.services import add_user
from server.app import create_app
from server.web.guards import requires_admin, requires_lead
from tests.support.fixtures import PASSWORD, csrf_token, login
from tests.support.team_a import MARKER, TeamA, changes, make_team_a, snapshot

pytestmark = pytest.mark.anyio

MISSING_ID = 2_000_000_000  # a valid id no row has

# How to name a team-A object (and a missing one) for each path parameter the walls cover.
TEAM_A_OBJECT: dict[str, tuple[Callable[[TeamA], str], str]] = {
    "client_id": (lambda a: str(a.client), str(MISSING_ID)),
    "visit_id": (lambda a: a.visit, str(uuid.UUID(int=1))),
    "followup_id": (lambda a: str(a.followup), str(MISSING_ID)),
    "change": (lambda a: "done", "done"),  # /followups/{id}/{done|undone}: not an id, walked with "done"
    "referral_id": (lambda a: str(a.referral), str(MISSING_ID)),
    "link_id": (lambda a: str(a.link), str(MISSING_ID)),
    "subscription_id": (lambda a: str(a.subscription), str(MISSING_ID)),
    "debrief_id": (lambda a: str(a.debrief), str(MISSING_ID)),
    "user_id": (lambda a: str(a.alice), str(MISSING_ID)),
    "email": (lambda a: a.alice_email, "nobody@example.org"),
    "session_id": (lambda a: str(a.alice_session), str(MISSING_ID)),
    "file_name": (lambda a: f"{a.appointment}.ics", f"{MISSING_ID}.ics"),  # /appointments/{id}.ics
    "pair_id": (lambda a: str(a.pair), str(MISSING_ID)),
    "agreement_id": (lambda a: str(a.agreement), str(MISSING_ID)),
    "goal_id": (lambda a: str(a.goal), str(MISSING_ID)),
}

# Routes with parameters that are not walked, each with why. A new route lands here only by decision.
EXEMPT = {
    # Secret tokens, not ids: a client's reminder link and a worker's calendar feed. Guessing is
    # throttled and a wrong token is 404 (tests/test_client_link.py, tests/test_planning.py).
    "/r/{token:str}": "link token",
    "/r/{token:str}/manifest.webmanifest": "link token",
    "/r/{token:str}/appointments/{file_name:str}": "link token",
    "/r/{token:str}/subscription": "link token",
    "/r/{token:str}/subscription/remove": "link token",
    "/r/{token:str}/sharing": "link token",
    "/r/{token:str}/offline": "link token",
    "/calendar/{file_name:str}": "calendar feed token",
    # A new member's invitation to set a password: a secret token, used once; a wrong, used or
    # expired one is 404 (tests/test_team_manage.py).
    "/invite/{token:str}": "invitation token",
    # No team data: the offline shell, versioned assets, static files, the API description.
    "/shell/{lang:str}/{page:str}": "offline shell page",
    "/assets/{version:str}/{file_path:path}": "asset",
    "/static/{file_path:path}": "static file",
    "/schema/{path:str}": "API description",
    # The service directory is the organisation's, shared by every team (no team column).
    "/services/{service_id:int}": "organisation-wide service card",
    "/services/{service_id:int}/retire": "a local service of the adder's team (tests/test_trust_access.py)",
    "/services/{service_id:int}/refer": "organisation-wide service; the client chosen passes the team wall in "
    "create_referral (tests/test_field_copy_server.py)",
    # Admin only: an admin's scope is every team of the organisation; a lead gets 403 whatever the id.
    "/team/members/{user_id:int}/disable": "admin only",
    # The door in the wall (issue 9): another team's client opens only with a reason, logged and
    # shown to both leads; tested with break-glass itself.
    "/clients/{client_id:int}/break-glass": "break-glass",
    "/api/v1/clients/{client_id:int}/break-glass": "break-glass",
}

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# One body for every unsafe request: valid enough that a handler without a wall would act on it.
BODY = {
    "pseudonym": f"Kaapattu {MARKER}",
    "status": "contacted",
    "done": True,
    "note": "Kaapattu",
    "notes": "Kaapattu",
    "load": 3,
    "language": "fi",
    "pay_basis": "fee",
    "part_time_percent": 50,
    "due_at": "2026-11-24T09:00",
    "starts_at": "2026-11-25T09:00",
    "place": "Kaapattu",
    "service_id": 1,
    "next": "/",
    "items": {"housing": "done"},
    "state_housing": "done",
}


def walked_routes() -> list[tuple[str, str, HTTPRouteHandler]]:
    """(path, method, handler) of every route with a path parameter, from the app."""
    found = []
    for route in create_app().routes:
        if "{" not in route.path or route.path in EXEMPT:
            continue
        for handler in route.route_handlers:
            for method in sorted(getattr(handler, "http_methods", ())):
                if method not in {"OPTIONS", "HEAD"}:
                    found.append((route.path, method, handler))
    return found


def parameters(path: str) -> list[str]:
    return [part[1:-1].split(":")[0] for part in path.split("/") if part.startswith("{")]


def fill(path: str, value_of: Callable[[str], str]) -> str:
    parts = []
    for part in path.split("/"):
        parts.append(value_of(part[1:-1].split(":")[0]) if part.startswith("{") else part)
    return "/".join(parts)


def test_every_route_with_a_parameter_is_walked_or_exempt():
    unclassified = sorted(
        {path for path, _, _ in walked_routes() if any(name not in TEAM_A_OBJECT for name in parameters(path))}
    )
    assert not unclassified, (
        "routes whose parameters the walk cannot fill: add the parameter to TEAM_A_OBJECT "
        f"(and an object to tests/support/team_a.py) or the route to EXEMPT with why: {unclassified}"
    )
    assert len(walked_routes()) >= 30  # the walk walks (a broken lookup must not pass vacuously)


async def _ask(http: httpx.AsyncClient, method: str, path: str, htmx: bool) -> httpx.Response:
    headers = {"HX-Request": "true"} if htmx else {}
    if method not in UNSAFE:
        return await http.request(method, path, headers=headers)
    token = await csrf_token(http)
    if path.startswith("/api/"):
        return await http.request(method, path, json=BODY, headers={**headers, "x-csrftoken": token})
    form = {key: str(value) for key, value in BODY.items()}
    return await http.request(method, path, data={**form, "_csrf_token": token}, headers=headers)


async def _walk(http: httpx.AsyncClient, team_a: TeamA, lead: bool) -> list[str]:
    problems = []
    for path, method, handler in walked_routes():
        if not lead and requires_lead in (handler.guards or []):
            continue  # a worker is refused by role before any id is read (test_access_control #7)
        assert requires_admin not in (handler.guards or []), f"{path}: admin-only routes belong in EXEMPT"
        foreign = fill(path, lambda name: TEAM_A_OBJECT[name][0](team_a))
        missing = fill(path, lambda name: TEAM_A_OBJECT[name][1])
        for htmx in (False,) if path.startswith("/api/") else (False, True):
            answer = await _ask(http, method, foreign, htmx)
            control = await _ask(http, method, missing, htmx)
            where = f"{method} {foreign}{' (htmx)' if htmx else ''}"
            if answer.status_code != 404:
                problems.append(f"{where}: {answer.status_code} {answer.text[:120]!r}")
            elif MARKER in answer.text or team_a.alice_email in answer.text:
                problems.append(f"{where}: team A's data in the answer")
            elif (answer.status_code, answer.text) != (control.status_code, control.text):
                problems.append(f"{where}: differs from the answer for a missing id")
    return problems


async def _nothing_changed_but_refusals_logged(before: dict, user_id: int) -> None:
    """No table changed, except that the use log recorded the refused attempts at team A's client
    (for team A's lead to see; the one asking got the same 404 as for a missing id)."""
    after = await snapshot()
    assert changes(before, after, ignore={"access_log"}) == {}
    added = after["access_log"][len(before["access_log"]) :]
    assert after["access_log"][: len(before["access_log"])] == before["access_log"]
    assert added and {(row["user"], row["outcome"], row["action"]) for row in added} == {(user_id, "denied", "read")}


async def test_a_worker_of_team_b_gets_404_for_every_team_a_object_on_every_route(client, world):
    team_a = await make_team_a(world)
    assert (await login(client, "dave@example.org")).status_code == 303
    before = await snapshot()
    problems = await _walk(client, team_a, lead=False)
    assert problems == []
    await _nothing_changed_but_refusals_logged(before, world.dave)


async def test_a_lead_of_team_b_gets_404_for_every_team_a_object_on_every_route(client, world):
    team_a = await make_team_a(world)
    bea = await add_user("bea@example.org", "lead", PASSWORD, "Team B", "Bea")
    assert (await login(client, "bea@example.org")).status_code == 303
    before = await snapshot()
    problems = await _walk(client, team_a, lead=True)
    assert problems == []
    await _nothing_changed_but_refusals_logged(before, bea)


async def test_the_walk_reaches_team_a_objects_for_their_own_team(client, world):
    """The control: the same fills open the objects for team A, so a 404 above is the wall, not a typo."""
    team_a = await make_team_a(world)
    await login(client, "lena@example.org")
    for path in (
        "/clients/{client_id:int}",
        "/api/v1/visits/{visit_id:str}",
        "/api/v1/referrals/{referral_id:int}",
        "/appointments/{file_name:str}",
        "/api/v1/clients/{client_id:int}",
        "/api/v1/clients/{client_id:int}/release-plan",
        "/api/v1/agreements/{agreement_id:int}",
        "/api/v1/clients/{client_id:int}/reviews",
    ):
        response = await client.get(fill(path, lambda name: TEAM_A_OBJECT[name][0](team_a)))
        assert response.status_code == 200, path
