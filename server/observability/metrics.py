"""Prometheus metrics, answered at /metrics (server/observability/metrics_routes.py).

Request counts and latencies are per process (label `process`: scrape each web process, or sum
them); the queue and reminder figures are read from the database at scrape time, so any process
answers them for the whole installation. The domains that own those tables fill those gauges at
scrape time (`push.outbox.outbox_figures`, say); the app factory hands their readers to the route.
"""

from __future__ import annotations

import os
from typing import Any

from litestar.types import Scope
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

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


_VISITS = {True: VISITS.labels(PROCESS, "created"), False: VISITS.labels(PROCESS, "replayed")}


def visit_received(created: bool) -> None:
    _VISITS[created].inc()


def login_failed() -> None:
    LOGIN_FAILURES.labels(PROCESS).inc()


# Per (method, route, status): the labelled children, looked up once (labels() checks and locks).
_COUNTERS: dict[tuple[str, str, int], Any] = {}
_TIMERS: dict[tuple[str, str], Any] = {}
_ROUTES: dict[Any, str] = {}


def _route(scope: Scope) -> str:
    handler = scope.get("route_handler")
    route = _ROUTES.get(handler)
    if route is None:
        paths = getattr(handler, "paths", None)
        route = _ROUTES[handler] = sorted(paths)[0] if paths else "unmatched"
    return route


def new_request_id() -> str:
    """For the logs and the `x-request-id` header (server/web/security_headers.py adds it)."""
    return os.urandom(8).hex()


def request_done(scope: Scope, status: int, seconds: float) -> None:
    """Count and time the request by its route template (files are not counted)."""
    route, method = _route(scope), str(scope.get("method", ""))
    if route.startswith(("/assets/", "/static")):
        return
    counter = _COUNTERS.get((method, route, status))
    if counter is None:
        counter = _COUNTERS[(method, route, status)] = REQUESTS.labels(PROCESS, method, route, str(status))
    timer = _TIMERS.get((method, route))
    if timer is None:
        timer = _TIMERS[(method, route)] = LATENCY.labels(PROCESS, method, route)
    counter.inc()
    timer.observe(seconds)
