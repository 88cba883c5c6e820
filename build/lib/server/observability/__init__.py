"""Watching a running Rinnalla: structured logs with a request id, health and readiness, metrics."""
