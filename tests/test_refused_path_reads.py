"""Issue 19, a trust gap: a refused attempt at another team's agreement, goal, review or referral
answers 404 like a missing id and, like every other refused read of a client's record, leaves one
"denied" row in the use log for the client's team to see. A missing id leaves none."""

from __future__ import annotations

import pytest

from server.casework.tables import AccessLog
from server.services.tables import Service
from tests.support.casework import api
from tests.support.fixtures import login
from tests.support.team_a import make_team_a

pytestmark = pytest.mark.anyio
MISSING = 987654

# (method, path, body); {client}, {agreement}, {goal}, {referral} are team A's.
ATTEMPTS = [
    ("GET", "/api/v1/agreements/{agreement}", None),
    ("PATCH", "/api/v1/agreements/{agreement}", {"status": "ended"}),
    ("PATCH", "/api/v1/goals/{goal}", {"status": "reached"}),
    ("GET", "/api/v1/clients/{client}/agreements", None),
    ("POST", "/api/v1/clients/{client}/agreements", {"starts_on": "2026-01-01", "goals": [{"text": "x"}]}),
    ("GET", "/api/v1/clients/{client}/reviews", None),
    ("POST", "/api/v1/clients/{client}/reviews", {"scores": {}}),
    ("GET", "/api/v1/referrals/{referral}", None),
    ("PATCH", "/api/v1/referrals/{referral}", {"status": "contacted"}),
    ("POST", "/api/v1/referrals", {"client_id": "{client}", "service_id": "{service}"}),
]


def _filled(value, ids: dict):
    if isinstance(value, str):
        return int(value.format(**ids)) if value.startswith("{") else value.format(**ids)
    if isinstance(value, dict):
        return {key: _filled(item, ids) for key, item in value.items()}
    return value


async def _denied_rows(user_id: int) -> list[dict]:
    return await (
        AccessLog.select(AccessLog.client, AccessLog.action, AccessLog.outcome)
        .where(AccessLog.user == user_id)
        .order_by(AccessLog.id)
    )


@pytest.mark.parametrize(("method", "path", "body"), ATTEMPTS, ids=[f"{m} {p}" for m, p, _ in ATTEMPTS])
async def test_a_refused_attempt_at_another_teams_path_or_referral_is_logged_once(client, world, method, path, body):
    team_a = await make_team_a(world)
    service = (await Service.select(Service.id).first())["id"]
    ids = {
        "client": team_a.client,
        "agreement": team_a.agreement,
        "goal": team_a.goal,
        "referral": team_a.referral,
        "service": service,
    }
    await login(client, "dave@example.org")  # team B
    answer = await api(client, method, _filled(path, ids), _filled(body, ids))
    assert answer.status_code == 404
    assert await _denied_rows(world.dave) == [{"client": team_a.client, "action": "read", "outcome": "denied"}]

    missing = {name: MISSING for name in ids} | {"service": service}
    control = await api(client, method, _filled(path, missing), _filled(body, missing))
    assert (control.status_code, control.text) == (answer.status_code, answer.text)
    assert len(await _denied_rows(world.dave)) == 1  # a missing id is nobody's client: no row
