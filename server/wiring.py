"""Where the parts are plugged together: a lower layer asks for something through a small hook,
and this hands it what an upper layer offers, so imports between domains point one way (see
docs/architecture.md). The app factory, the worker and the command line call `wire()` first.
"""

from __future__ import annotations

from server.accounts.throttle import throttle_figures
from server.observability.metrics_routes import read_at_scrape
from server.push.outbox import outbox_figures
from server.push.subscriptions import phone_figures


def wire() -> None:
    """Idempotent: tests make many apps in one process."""
    read_at_scrape(outbox_figures, phone_figures, throttle_figures)
