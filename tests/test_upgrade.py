"""Upgrades: a database made by the oldest migrations, with data in it, migrates forward to this
version with its data intact (and the data migrations done), on the database under test."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.conftest import TEST_DB
from tests.test_backup import _scratch_postgres

pytestmark = pytest.mark.anyio
PROJECT = Path(__file__).resolve().parent.parent
OLDEST = {"accounts": "2026-11-23T14:09:44:038879", "casework": "2026-11-23T14:09:44:683795"}
VISIT = str(uuid.UUID("6f1c9a3e-2b7d-4c1e-9a55-0d2e8f3b4c71"))
NOW = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)

# The rows of an installation at its first release: a team, a worker, a client and a visit.
ROWS = [
    ('INSERT INTO "team" ("name", "created_at") VALUES ({}, {})', ("Tiimi", NOW)),
    (
        'INSERT INTO "app_user" ("email", "display_name", "password_hash", "role", "team", "language", "is_active", '
        '"created_at") VALUES ({}, {}, {}, {}, 1, {}, {}, {})',
        ("vanha@example.org", "Vanha Työntekijä", "x", "professional", "fi", True, NOW),
    ),
    (
        'INSERT INTO "client" ("team", "pseudonym", "legal_name", "phone", "status", "started_on", "status_changed_on", '
        '"came_from", "institution", "release_type", "created_at", "updated_at") '
        "VALUES (1, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
        ("Äijä", "", "", "active", date(2026, 11, 1), date(2026, 11, 1), "street", "", "", NOW, NOW),
    ),
    (
        'INSERT INTO "visit" ("uuid", "team", "client", "anonymous_count", "occurred_at", "place", "kind", "notes", '
        '"together_with_client", "created_by", "received_at") VALUES ({}, 1, 1, 0, {}, {}, {}, {}, {}, 1, {})',
        (VISIT, NOW, "Asema", "street", "Juteltiin asunnosta", False, NOW),
    ),
    # Reads logged before the log was a chain: the upgrade links them.
    (
        'INSERT INTO "access_log" ("at", "user", "role", "team", "client", "action", "what") '
        "VALUES ({}, 1, {}, 1, 1, {}, {})",
        (NOW, "professional", "read", "client_page"),
    ),
    (
        'INSERT INTO "access_log" ("at", "user", "role", "team", "client", "action", "what") '
        "VALUES ({}, 1, {}, 1, 1, {}, {})",
        (NOW, "professional", "read", "api_client"),
    ),
]


def _run(*args: str, env: dict) -> None:
    done = subprocess.run(args, cwd=PROJECT, env={**os.environ, **env}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


async def _execute(env: dict, statements) -> list:
    url = env["DATABASE_URL"]
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            results = []
            for sql, args in statements:
                values = [
                    str(a) if isinstance(a, (datetime, date)) else int(a) if isinstance(a, bool) else a for a in args
                ]
                results.append(connection.execute(sql.replace("{}", "?"), values).fetchall())
            connection.commit()
            return results
        finally:
            connection.close()
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        results = []
        for sql, args in statements:
            numbered = sql
            for n in range(1, sql.count("{}") + 1):
                numbered = numbered.replace("{}", f"${n}", 1)
            values = [uuid.UUID(a) if a == VISIT else a for a in args]
            results.append([tuple(r) for r in await connection.fetch(numbered, *values)])
        return results
    finally:
        await connection.close()


async def test_the_oldest_schema_with_data_migrates_to_this_version_intact(tmp_path):
    url = (
        f"sqlite:///{tmp_path}/old.sqlite"
        if TEST_DB == "sqlite"
        else await _scratch_postgres(f"rinnalla_upgrade_{os.getpid()}")
    )
    env = {"DATA_DIR": str(tmp_path), "DATABASE_URL": url, "PICCOLO_CONF": "server.piccolo_conf"}
    piccolo = str(Path(sys.executable).parent / "piccolo")
    for app, migration in OLDEST.items():
        _run(piccolo, "migrations", "forwards", app, migration, env=env)
    await _execute(env, ROWS)
    _run(sys.executable, "-m", "server.cli", "migrate", env=env)
    [clients, visits, pending] = await _execute(
        env,
        [
            ('SELECT "pseudonym", "search_key" FROM "client"', ()),
            ('SELECT "notes", "place" FROM "visit"', ()),
            ('SELECT COUNT(*) FROM "reminder"', ()),
        ],
    )
    assert clients == [("Äijä", "äijä")]  # the data migration filled the search key
    assert visits == [("Juteltiin asunnosta", "Asema")]
    assert pending == [(0,)]
    # The upgraded installation works: its reminders can be planned and a user added.
    _run(sys.executable, "-m", "server.cli", "reminders", "plan", env=env)
    _run(sys.executable, "-m", "server.cli", "team", "add", "Uusi", env=env)
    # The old log rows are now the start of an intact chain.
    verified = subprocess.run(
        [sys.executable, "-m", "server.cli", "audit", "verify"],
        cwd=PROJECT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verified.returncode == 0 and "use log: 2 rows, chain intact" in verified.stdout, verified.stderr
