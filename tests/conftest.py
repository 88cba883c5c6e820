"""Test set-up: a real SQLite file or a real PostgreSQL database per xdist worker.

RINNALLA_TEST_DB=sqlite|postgres picks the database; `make test` runs the suite once for
each. The environment is set before `server` is imported, because settings and the Piccolo
engine are read at import time.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile

import pytest

TEST_DB = os.environ.get("RINNALLA_TEST_DB", "sqlite")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://rinnalla_test:rinnalla_test@127.0.0.1:5432/postgres"
)

_DATA_DIR = tempfile.mkdtemp(prefix=f"rinnalla-test-{TEST_DB}-{WORKER}-")
os.environ["DATA_DIR"] = _DATA_DIR
os.environ["RINNALLA_FAST_HASHES"] = "1"
os.environ.pop("BASE_URL", None)
os.environ.pop("RINNALLA_ENV", None)
os.environ.pop("SECRET_KEY", None)
# The known push services, and the loopback one the tests run (tests/support/push_service.py).
os.environ["PUSH_ENDPOINT_ALLOWLIST"] = (
    "127.0.0.1,fcm.googleapis.com,updates.push.services.mozilla.com,.push.apple.com,.notify.windows.com"
)
os.environ.pop("REMINDER_QUIET_HOURS", None)
# Every process of the suite (the app in the test process, live servers, workers) logs here, and
# the log is scanned for personal data when the session ends (pytest_sessionfinish).
SUITE_LOG = os.path.join(_DATA_DIR, "suite.log")
os.environ["LOG_FILE"] = SUITE_LOG
os.environ.pop("METRICS_TOKEN", None)
os.environ.pop("VAPID_PRIVATE_KEY", None)
# Logins in tests need no second factor unless a test asks for one (tests/test_mfa.py).
os.environ["MFA_REQUIRED_ROLES"] = ""
os.environ.pop("TRUSTED_PROXIES", None)


async def _recreate_postgres_database(name: str) -> None:
    import asyncpg

    try:
        connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
    except Exception as exc:  # make the reason loud: PostgreSQL is never skipped silently
        raise pytest.UsageError(
            f"PostgreSQL tests need a server at {POSTGRES_ADMIN_URL.rsplit('@', 1)[-1]} "
            f"(scripts/ensure-postgres.sh sets one up): {exc}"
        ) from exc
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


if TEST_DB == "postgres":
    _PG_NAME = f"rinnalla_test_{os.getpid()}_{WORKER}"
    asyncio.run(_recreate_postgres_database(_PG_NAME))
    os.environ["DATABASE_URL"] = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + _PG_NAME
elif TEST_DB == "sqlite":
    os.environ["DATABASE_URL"] = f"sqlite:///{_DATA_DIR}/test.sqlite"
else:
    raise pytest.UsageError(f"RINNALLA_TEST_DB must be sqlite or postgres, not {TEST_DB!r}")


def pytest_report_header(config):
    return f"Rinnalla test database: {TEST_DB} ({os.environ['DATABASE_URL'].split('@')[-1]})"


def pytest_sessionstart(session):
    from server.wiring import wire
    from tests.support.db import migrate_fresh

    asyncio.run(migrate_fresh())
    wire()  # the parts plugged together as the app, the worker and the command line do


def pytest_sessionfinish(session, exitstatus):
    from tests.support.log_scan import personal_data_in

    found = personal_data_in(SUITE_LOG)
    if found:
        print("\nPersonal data in the logs of the suite:\n" + "\n".join(found[:20]))
        session.exitstatus = 1
    shutil.rmtree(_DATA_DIR, ignore_errors=True)
    if TEST_DB == "postgres":

        async def drop() -> None:
            import asyncpg

            connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
            try:
                await connection.execute(f'DROP DATABASE IF EXISTS "{_PG_NAME}" WITH (FORCE)')
            finally:
                await connection.close()

        asyncio.run(drop())


@pytest.fixture
def anyio_backend():
    return "asyncio"


pytest_plugins = ["tests.support.fixtures"]
