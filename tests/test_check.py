"""`rinnalla check --deploy` names what is unsafe and passes a production-ready configuration."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.test_backup import PROJECT


def _check(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "check", "--deploy"],
        cwd=PROJECT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )


def test_the_test_setup_is_not_fit_for_production():
    result = _check({})
    assert result.returncode == 1
    for problem in (
        "RINNALLA_ENV is not production",
        "SECRET_KEY is not set",
        "RINNALLA_FAST_HASHES",
        "PUSH_ENDPOINT_ALLOWLIST names a loopback host",
        "MFA_REQUIRED_ROLES leaves out lead",
    ):
        assert problem in result.stdout


def test_a_production_configuration_passes(tmp_path):
    env = {
        "RINNALLA_ENV": "production",
        "SECRET_KEY": "s" * 48,
        "BASE_URL": "https://rinnalla.example.fi",
        "VAPID_PRIVATE_KEY": "x" * 43,
        "PUSH_SUBJECT": "mailto:ops@rinnalla.example.fi",
        "DATABASE_URL": "postgresql://u:p@db.example.fi/rinnalla",
        "METRICS_TOKEN": "m" * 32,
        "PUSH_ENDPOINT_ALLOWLIST": "fcm.googleapis.com,.push.apple.com",
        "RINNALLA_FAST_HASHES": "0",
        "DATA_DIR": str(tmp_path),
        "DEBUG": "0",
        "MFA_REQUIRED_ROLES": "lead,admin",
    }
    result = _check(env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No problems found" in result.stdout


def test_logs_shorter_than_the_records_they_are_about_are_refused():
    result = _check({"CLIENT_RETENTION_YEARS": "10", "LOG_RETENTION_YEARS": "5"})
    assert result.returncode == 1 and "the use log must outlive the records" in result.stdout
