"""Backups that restore: taken while visits are being written, restored into an empty
installation with nothing lost and nothing doubled; refused when newer, damaged or encrypted to
someone else; and the way from SQLite to PostgreSQL."""

from __future__ import annotations

import asyncio
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pytest

from server.casework.tables import Visit
from server.settings import get_settings
from server.timeutil import utcnow
from tests.conftest import POSTGRES_ADMIN_URL, TEST_DB

pytestmark = pytest.mark.anyio
PROJECT = Path(__file__).resolve().parent.parent


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        cwd=PROJECT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


async def _scratch_postgres(name: str) -> str:
    import asyncpg

    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


async def _empty_target(tmp_path: Path) -> dict[str, str]:
    """An empty installation of the kind under test: its own data directory and database."""
    data_dir = tmp_path / "restored"
    if TEST_DB == "sqlite":
        return {"DATA_DIR": str(data_dir), "DATABASE_URL": f"sqlite:///{data_dir}/restored.sqlite"}
    url = await _scratch_postgres(f"rinnalla_restore_{os.getpid()}_{os.environ.get('PYTEST_XDIST_WORKER', 'm')}")
    return {"DATA_DIR": str(data_dir), "DATABASE_URL": url}


async def _visit_ids(env: dict[str, str]) -> list[str]:
    if env["DATABASE_URL"].startswith("sqlite"):
        connection = sqlite3.connect(env["DATABASE_URL"].removeprefix("sqlite:///"))
        try:
            return [row[0] for row in connection.execute("SELECT uuid FROM visit")]
        finally:
            connection.close()
    import asyncpg

    connection = await asyncpg.connect(env["DATABASE_URL"])
    try:
        return [str(r["uuid"]) for r in await connection.fetch("SELECT uuid FROM visit")]
    finally:
        await connection.close()


async def test_a_backup_taken_while_visits_are_written_restores_with_nothing_lost_or_doubled(world, tmp_path):
    written: list[str] = []
    stop = asyncio.Event()

    async def keep_writing() -> None:  # a pair logging visits all through the backup
        while not stop.is_set():
            visit_id = uuid.uuid4()
            await Visit.insert(
                Visit(uuid=visit_id, team=world.team_a, anonymous_count=1, occurred_at=utcnow(), created_by=world.alice)
            )
            written.append(str(visit_id))
            await asyncio.sleep(0)

    writer = asyncio.create_task(keep_writing())
    while len(written) < 50:
        await asyncio.sleep(0)
    backup = tmp_path / "live.backup"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.cli",
        "backup",
        str(backup),
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await process.communicate()
    stop.set()
    await writer
    assert process.returncode == 0, err.decode()
    assert _cli("backup", "--verify", str(backup)).returncode == 0
    target = await _empty_target(tmp_path)
    restored = _cli("restore", str(backup), env=target)
    assert restored.returncode == 0, restored.stderr
    ids = await _visit_ids(target)
    manifest = json.loads(tarfile.open(backup).extractfile("manifest.json").read())
    assert len(ids) == manifest["counts"]["visit"] == len(set(ids))  # nothing doubled
    assert set(ids) <= set(written) and len(ids) >= 50  # nothing invented, what came before is there
    written_before = written[:50]
    assert set(written_before) <= set(ids)  # nothing lost of what was stored before the backup began
    assert (Path(target["DATA_DIR"]) / "secret_key").read_text() == (get_settings().data_dir / "secret_key").read_text()
    again = _cli("restore", str(backup), env=target)
    assert again.returncode == 1 and "not empty" in again.stderr


def _rewrite(backup: Path, target: Path, change) -> None:
    members = {m.name: tarfile.open(backup).extractfile(m).read() for m in tarfile.open(backup).getmembers()}
    change(members)
    with tarfile.open(target, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


async def test_restore_refuses_a_newer_schema_a_damaged_file_and_a_stranger_key(world, tmp_path):
    backup = tmp_path / "ok.backup"
    assert _cli("backup", str(backup)).returncode == 0
    newer = tmp_path / "newer.backup"

    def add_future_migration(members):
        manifest = json.loads(members["manifest.json"])
        manifest["applied_migrations"].append("2099-01-01T00:00:00:000000")
        members["manifest.json"] = json.dumps(manifest).encode()

    _rewrite(backup, newer, add_future_migration)
    target = await _empty_target(tmp_path)
    refused = _cli("restore", str(newer), env=target)
    assert refused.returncode == 1 and "newer schema" in refused.stderr and "upgrade Rinnalla first" in refused.stderr
    damaged = tmp_path / "damaged.backup"

    def flip(members):
        name = next(n for n in members if n.startswith("database."))
        members[name] = members[name][:-10] + b"0123456789"

    _rewrite(backup, damaged, flip)
    refused = _cli("restore", str(damaged), env=target)
    assert refused.returncode == 1 and "damaged" in refused.stderr
    assert await _nothing_restored(target)


async def _nothing_restored(env: dict[str, str]) -> bool:
    if env["DATABASE_URL"].startswith("sqlite"):
        return not Path(env["DATABASE_URL"].removeprefix("sqlite:///")).exists()
    import asyncpg

    connection = await asyncpg.connect(env["DATABASE_URL"])
    try:
        return await connection.fetchval("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'") == 0
    finally:
        await connection.close()


async def test_an_encrypted_backup_opens_only_with_its_identity(world, tmp_path):
    import pyrage

    identity = pyrage.x25519.Identity.generate()
    (tmp_path / "key.txt").write_text(str(identity) + "\n")
    other = pyrage.x25519.Identity.generate()
    (tmp_path / "other.txt").write_text(str(other) + "\n")
    backup = tmp_path / "sealed.backup"
    assert _cli("backup", str(backup), "--to", str(identity.to_public())).returncode == 0
    raw = backup.read_bytes()
    assert raw.startswith(b"age-encryption.org/v1") and b"SQLite format" not in raw and b"secret_key" not in raw
    assert "encrypted" in _cli("backup", "--verify", str(backup)).stderr
    assert "does not open" in _cli("backup", "--verify", str(backup), "--identity", str(tmp_path / "other.txt")).stderr
    assert _cli("backup", "--verify", str(backup), "--identity", str(tmp_path / "key.txt")).returncode == 0


@pytest.mark.skipif(TEST_DB != "postgres", reason="needs the PostgreSQL server of the postgres run")
async def test_a_sqlite_installation_moves_to_postgresql(tmp_path):
    source = {"DATA_DIR": str(tmp_path / "small"), "DATABASE_URL": f"sqlite:///{tmp_path}/small/r.sqlite"}
    assert _cli("migrate", env=source).returncode == 0 and _cli("demo", env=source).returncode == 0
    backup = tmp_path / "small.backup"
    assert _cli("backup", str(backup), env=source).returncode == 0
    target = {
        "DATA_DIR": str(tmp_path / "county"),
        "DATABASE_URL": await _scratch_postgres(f"rinnalla_move_{os.getpid()}"),
    }
    moved = _cli("restore", str(backup), env=target)
    assert moved.returncode == 0, moved.stderr
    assert sorted(await _visit_ids(target)) == sorted(await _visit_ids(source))
    # The county's server goes on where the small one stopped: new rows get new ids.
    check = _cli("team", "add", "Uusi tiimi", env=target)
    assert check.returncode == 0, check.stderr
