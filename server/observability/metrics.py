"""Prometheus metrics, answered at /metrics (server/observability/metrics_routes.py).

Request counts and latencies are per process (label `process`: scrape each web process, or sum
them); the queue and reminder figures are read from the database at scrape time, so any process
answers them for the whole installation. The domains that own those tables fill those gauges at
scrape time (`push.outbox.outbox_figures`, say); the app factory hands their readers to the route.
"""

from __future__ import annotations

import os
import time

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from server.observability.logs import reset_request_id, set_request_id

REGISTRY = CollectorRegistry()
PROCESS = str(os.getpid())
REQUESTS = Counter(
    "rinnalla_http_requests",
    "HTTP requests by route template and status",
    ["process", "method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "rinnalla_http_request_duration_seconds",
    "Time to answer, by route template",
    ["process", "method", "route"],
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
VISITS = Counter(
    "rinnalla_visits_received",
    "Visits the phones sent: created, or a replay of a stored one",
    ["process", "outcome"],
    registry=REGISTRY,
)
LOGIN_FAILURES = Counter(
    "rinnalla_login_failures", "Failed logins answered by this process", ["process"], registry=REGISTRY
)
REMINDERS = Gauge("rinnalla_reminders", "Reminders by state (the outbox as it is now)", ["state"], registry=REGISTRY)
QUEUE = Gauge(
    "rinnalla_reminders_due", "Reminders due now and not yet sent (the dispatcher's backlog)", registry=REGISTRY
)
RETRIED = Gauge("rinnalla_reminders_retried", "Reminders that needed more than one attempt", registry=REGISTRY)
PHONES = Gauge("rinnalla_push_subscriptions", "Phones that take pushes", registry=REGISTRY)
FAILURES_NOW = Gauge(
    "rinnalla_login_failures_in_window", "Failed logins still counted by the throttle", registry=REGISTRY
)


def visit_received(created: bool) -> None:
    VISITS.labels(PROCESS, "created" if created else "replayed").inc()


def login_failed() -> None:
    LOGIN_FAILURES.labels(PROCESS).inc()


def _route(scope: Scope) -> str:
    handler = scope.get("route_handler")
    paths = getattr(handler, "paths", None)
    return sorted(paths)[0] if paths else "unmatched"


class ObservabilityMiddleware(ASGIMiddleware):
    """A request id for the logs (and the `x-request-id` header), and the request's metrics."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request_id = os.urandom(8).hex()
        token = set_request_id(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await next_app(scope, receive, send_with_id)
        finally:
            route, method = _route(scope), scope.get("method", "")
            if not route.startswith(("/assets/", "/static")):
                REQUESTS.labels(PROCESS, method, route, str(status)).inc()
                LATENCY.labels(PROCESS, method, route).observe(time.perf_counter() - started)
            reset_request_id(token)
