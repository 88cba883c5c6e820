"""Acknowledged means on disk: SQLite commits with synchronous=FULL before a write returns, the
WAL stays bounded through a burst of writes, and the database's files are the server user's only
(0600 in a 0700 directory), also after `rinnalla restore`.

Each test runs its own engine on its own file in tmp_path, so it holds for any RINNALLA_TEST_DB.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from server.db.sqlite_engine import KeptSQLiteEngine
from server.ops import backup as ops

pytestmark = pytest.mark.anyio


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
async def kept(tmp_path: Path, anyio_backend):
    engine = KeptSQLiteEngine(path=str(tmp_path / "data" / "rinnalla.sqlite"), checkpoint_bytes=256 * 1024)
    await engine.start_connection_pool()
    await engine.fetch("CREATE TABLE note (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
    try:
        yield engine
    finally:
        await engine.close_connection_pool()


async def test_every_connection_commits_with_synchronous_full(kept):
    async with kept.transaction() as transaction:
        (writer,) = await transaction.connection.execute("PRAGMA synchronous")
    (reader,) = await kept.fetch("SELECT 1 AS one")  # warms a reader; every reader is set alike
    assert writer["synchronous"] == 2  # FULL
    assert all(c.raw.execute("PRAGMA synchronous").fetchone()["synchronous"] == 2 for c in kept._all_readers)


async def test_a_write_has_reached_the_file_when_it_returns(kept, tmp_path):
    """Another connection (another process, a power cut's survivor) sees it at once: the
    transaction returned only after its group's COMMIT."""
    async with kept.transaction():
        await kept.fetch("INSERT INTO note (body) VALUES (?)", (b"visit",))
    await kept.fetch("INSERT INTO note (body) VALUES (?)", (b"autocommit",))
    other = sqlite3.connect(tmp_path / "data" / "rinnalla.sqlite")
    try:
        assert other.execute("SELECT count(*) FROM note").fetchone()[0] == 2
    finally:
        other.close()


async def test_concurrent_writers_share_commits_and_a_failing_one_costs_the_others_nothing(kept):
    async def one(i: int) -> None:
        async with kept.transaction():
            await kept.fetch("INSERT INTO note (body) VALUES (?)", (str(i).encode(),))
            await asyncio.sleep(0)
            if i % 7 == 0:
                raise LookupError("this one rolls back")

    results = await asyncio.gather(*[one(i) for i in range(1, 101)], return_exceptions=True)
    assert sum(isinstance(r, LookupError) for r in results) == 14
    assert [r for r in results if r is not None and not isinstance(r, LookupError)] == []
    (row,) = await kept.fetch("SELECT count(*) AS n FROM note")
    assert row["n"] == 86


async def test_the_wal_stays_bounded_through_a_burst_of_writes(kept):
    """5 MB written by 400 concurrent transactions into a file whose limit is 256 KiB: the WAL is
    checkpointed and cut back as the burst goes, not left to grow with it."""
    blob = os.urandom(12 * 1024)

    async def one() -> None:
        async with kept.transaction():
            await kept.fetch("INSERT INTO note (body) VALUES (?)", (blob,))

    await asyncio.gather(*[one() for _ in range(400)])
    async with kept.transaction():  # after the last group's committer (and its checkpoint)
        pass
    assert kept.checkpoints >= 1
    assert kept.wal_path.stat().st_size <= kept.checkpoint_bytes
    (row,) = await kept.fetch("SELECT count(*) AS n FROM note")
    assert row["n"] == 400


async def test_the_database_its_wal_and_the_data_directory_are_private(kept, tmp_path):
    await kept.fetch("INSERT INTO note (body) VALUES (?)", (b"x",))
    data = tmp_path / "data"
    assert mode(data) == 0o700
    for name in ("rinnalla.sqlite", "rinnalla.sqlite-wal", "rinnalla.sqlite-shm"):
        assert mode(data / name) == 0o600, name


async def test_a_database_an_older_version_left_readable_is_narrowed(tmp_path):
    path = tmp_path / "old.sqlite"
    sqlite3.connect(path).close()
    os.chmod(path, 0o644)
    engine = KeptSQLiteEngine(path=str(path))
    await engine.start_connection_pool()
    try:
        await engine.fetch("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        assert mode(path) == 0o600
        assert mode(Path(f"{path}-wal")) == 0o600
    finally:
        await engine.close_connection_pool()


def test_restore_writes_the_database_and_keys_private(tmp_path):
    source = tmp_path / "source.sqlite"
    connection = sqlite3.connect(source)
    connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    connection.commit()
    connection.close()
    members = {"database.sqlite": source.read_bytes(), "keys/secret_key": b"s" * 48}
    target_dir = tmp_path / "restored" / "data"
    ops.restore_keys(members, target_dir)
    ops.restore_sqlite_file(members, target_dir / "rinnalla.sqlite")
    assert mode(target_dir) == 0o700
    assert mode(target_dir / "rinnalla.sqlite") == 0o600
    assert mode(target_dir / "secret_key") == 0o600
