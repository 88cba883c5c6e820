"""Liveness and readiness, metrics behind their token, request ids, and logs without personal data."""

from __future__ import annotations

import dataclasses
import json
import uuid

import pytest

from server.observability import metrics_routes
from server.settings import get_settings
from tests.conftest import SUITE_LOG
from tests.support.casework import api, make_client
from tests.support.fixtures import login
from tests.support.log_scan import personal_data_in

pytestmark = pytest.mark.anyio


async def test_healthz_is_liveness_and_readyz_checks_the_database_and_its_schema(client, world):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


async def test_readyz_fails_when_the_templates_are_not_installed(client, world, monkeypatch, tmp_path):
    from server import resources

    monkeypatch.setattr(resources, "TEMPLATE_DIR", tmp_path / "no-templates")
    ready = await client.get("/readyz")
    assert ready.status_code == 503 and ready.json() == {"status": "files missing"}


@pytest.fixture
def metrics_token(monkeypatch):
    changed = dataclasses.replace(get_settings(), metrics_token="m3trics-t0ken")
    monkeypatch.setattr(metrics_routes, "get_settings", lambda: changed)
    return "m3trics-t0ken"


async def test_metrics_are_404_without_a_token_set(client, world):
    assert (await client.get("/metrics")).status_code == 404
    assert (await client.get("/metrics", headers={"authorization": "Bearer "})).status_code == 404


async def test_metrics_answer_only_the_right_token(client, world, metrics_token):
    assert (await client.get("/metrics")).status_code == 404
    assert (await client.get("/metrics", headers={"authorization": "Bearer wrong"})).status_code == 404
    await login(client, "alice@example.org")
    client_id = await make_client(world.team_a, "Kettu")
    visit = {
        "id": str(uuid.uuid4()),
        "client_id": client_id,
        "occurred_at": "2026-11-20T12:00:00+02:00",
        "kind": "street",
    }
    await api(client, "POST", "/api/v1/visits", visit)
    await api(client, "POST", "/api/v1/visits", visit)  # the phone sends it again
    text = (await client.get("/metrics", headers={"authorization": f"Bearer {metrics_token}"})).text
    assert 'rinnalla_http_requests_total{method="POST",process=' in text
    assert 'route="/api/v1/visits",status="201"}' in text and 'route="/api/v1/visits",status="200"}' in text
    assert "rinnalla_http_request_duration_seconds_bucket" in text
    assert 'outcome="created"' in text and 'outcome="replayed"' in text
    for name in ("rinnalla_reminders_due", "rinnalla_push_subscriptions", "rinnalla_login_failures_in_window"):
        assert name in text
    assert "Kettu" not in text and "alice" not in text


async def test_every_answer_carries_a_request_id_and_errors_log_it_without_the_secret_path(client, world):
    response = await client.get("/r/" + "x" * 43)
    request_id = response.headers["x-request-id"]
    assert len(request_id) == 16
    assert "x" * 43 not in open(SUITE_LOG, encoding="utf-8").read()


async def test_log_lines_are_json_and_the_scan_catches_personal_data(tmp_path):
    lines = (
        [json.loads(line) for line in open(SUITE_LOG, encoding="utf-8") if line.strip()]
        if __import__("os").path.exists(SUITE_LOG)
        else []
    )
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    planted = tmp_path / "planted.log"
    planted.write_text(
        '{"message": "login failed for alice@example.org"}\n{"message": "GET /r/' + "a" * 43 + '"}\n'
        '{"message": "sent to https://fcm.googleapis.com/fcm/send/abc"}\n',
        encoding="utf-8",
    )
    assert len(personal_data_in(str(planted))) == 3


async def test_a_refusal_before_any_route_carries_the_request_id_and_is_counted_with_its_status(
    client, world, metrics_token
):
    """Login and CSRF are checked in the request layer itself, not in a route: the answers they
    refuse with still carry a request id, the security headers and their own status in the metrics."""
    anonymous = await client.get("/api/v1/me")
    assert anonymous.status_code == 401 and len(anonymous.headers["x-request-id"]) == 16
    assert "content-security-policy" in anonymous.headers
    await login(client, "alice@example.org")
    no_token = await client.post("/api/v1/followups", json={})
    assert no_token.status_code == 403 and len(no_token.headers["x-request-id"]) == 16
    assert no_token.headers["x-request-id"] != anonymous.headers["x-request-id"]
    assert "content-security-policy" in no_token.headers
    text = (await client.get("/metrics", headers={"authorization": f"Bearer {metrics_token}"})).text
    assert 'route="/api/v1/me",status="401"}' in text and 'route="/api/v1/followups",status="403"}' in text
