"""`rinnalla check --deploy`: what in this installation's settings is unsafe for production.

Each finding is one line; the command exits non-zero when there is any, so a deploy script can
stop on it (like Django's `check --deploy`).
"""

from __future__ import annotations

import os

from server.settings import Settings


def deploy_findings(settings: Settings) -> list[str]:
    findings = []
    if not settings.is_production:
        findings.append("RINNALLA_ENV is not production")
    if settings.debug:
        findings.append("DEBUG is on: tracebacks would reach the browser")
    if not settings.base_url.startswith("https://"):
        findings.append("BASE_URL is not https: cookies are not Secure and there is no HSTS")
    if len(os.environ.get("SECRET_KEY", "")) < 32:
        findings.append("SECRET_KEY is not set (or shorter than 32 characters): every process must share one")
    if not settings.vapid_private_key:
        findings.append(
            "VAPID_PRIVATE_KEY is not set: processes on other machines would make their own key and "
            "phones would stop getting reminders"
        )
    if "localhost" in settings.push_subject or settings.push_subject.endswith(("example.org", ".invalid")):
        findings.append("PUSH_SUBJECT is a placeholder: Apple refuses pushes signed with it")
    if settings.is_sqlite:
        findings.append(
            "DATABASE_URL is SQLite: production runs on PostgreSQL (several processes, backups with pg_dump)"
        )
    if os.environ.get("RINNALLA_FAST_HASHES") == "1":
        findings.append("RINNALLA_FAST_HASHES is a test setting: passwords would be hashed weakly")
    if not settings.metrics_token:
        findings.append("METRICS_TOKEN is not set: nothing watches the reminder queue")
    if any(host in ("127.0.0.1", "localhost", "::1") for host in settings.push_endpoint_allowlist):
        findings.append("PUSH_ENDPOINT_ALLOWLIST names a loopback host: a test setting")
    if not {"lead", "admin"} <= settings.mfa_required_roles:
        findings.append(
            "MFA_REQUIRED_ROLES leaves out lead or admin: the roles that see every client of a team "
            "would log in with a password alone"
        )
    if settings.client_retention_years < 1 or settings.log_retention_years < settings.client_retention_years:
        findings.append(
            "CLIENT_RETENTION_YEARS must be at least 1 and LOG_RETENTION_YEARS at least as long: the use "
            "log must outlive the records it is about"
        )
    return findings
