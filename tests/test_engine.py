"""The kept-connection SQLite engine: transactions never interleave, writes never lock out.

A negative control shows the test can fail: the same workload on one shared connection without
the lock interleaves (see test_the_check_catches_interleaving_without_the_lock).
"""

import asyncio
import os

import pytest
from piccolo.columns import Integer
from piccolo.table import Table

from server.db.lifecycle import engine
from server.settings import get_settings

pytestmark = [pytest.mark.anyio]

requires_sqlite = pytest.mark.skipif(not get_settings().is_sqlite, reason="engine under test is SQLite's")


class Tally(Table, tablename="engine_tally"):
    task = Integer()
    step = Integer()


@pytest.fixture
async def tally(db):
    await Tally.create_table(if_not_exists=True)
    await Tally.delete(force=True)
    yield
    await Tally.alter().drop_table(if_exists=True)


async def _transaction_task(task: int, problems: list[str]) -> None:
    try:
        async with engine().transaction():
            before = await Tally.count()
            await Tally.insert(Tally(task=task, step=1))
            await asyncio.sleep(0)  # let every other task try to run in between
            await Tally.insert(Tally(task=task, step=2))
            await asyncio.sleep(0)
            after = await Tally.count()
            if after != before + 2:
                problems.append(f"task {task}: a foreign write landed inside the transaction")
            if task % 10 == 0:
                raise LookupError("roll me back")
    except LookupError:
        pass
    except Exception as exc:  # noqa: BLE001 - collected and asserted below
        problems.append(f"task {task}: {type(exc).__name__}: {exc}")


async def _observer(k: int, problems: list[str]) -> None:
    for j in range(5):
        await Tally.insert(Tally(task=-1, step=k * 10 + j))
        rows = await Tally.raw("SELECT task, count(*) AS n FROM engine_tally WHERE task >= 0 GROUP BY task")
        problems.extend(f"torn transaction {r['task']}" for r in rows if r["n"] != 2)
        await asyncio.sleep(0)


async def run_workload() -> list[str]:
    problems: list[str] = []
    await asyncio.gather(
        *[_transaction_task(t, problems) for t in range(1, 51)], *[_observer(k, problems) for k in range(10)]
    )
    rows = await Tally.raw("SELECT task, count(*) AS n FROM engine_tally GROUP BY task")
    counts = {r["task"]: r["n"] for r in rows}
    for task in range(1, 51):
        if counts.get(task, 0) != (0 if task % 10 == 0 else 2):
            problems.append(f"task {task}: {counts.get(task, 0)} rows at the end")
    if counts.get(-1) != 50:
        problems.append("observer rows lost")
    return problems


@requires_sqlite
async def test_fifty_concurrent_transactions_with_readers_and_writers_beside_them(tally):
    for _ in range(5):
        await Tally.delete(force=True)
        assert await run_workload() == []


@requires_sqlite
async def test_the_check_catches_interleaving_without_the_lock(tally, monkeypatch):
    kept = engine()

    async def no_lock_writer():  # the shared writer handed out with no lock held
        await kept._ensure_open()
        return kept._writer

    monkeypatch.setattr(kept, "acquire_writer", no_lock_writer)
    monkeypatch.setattr(kept, "release_writer", lambda clean=True: None)
    try:
        problems = await run_workload()
    except Exception as exc:  # noqa: BLE001 - SQLite itself refusing the interleaved writes is the finding too
        problems = [f"{type(exc).__name__}: {exc}"]
    monkeypatch.undo()
    # The unguarded run leaves the writer in no state to trust (a half-open group, a COMMIT that
    # raced a statement): start the next test on fresh connections.
    for connection in [kept._writer, *kept._all_readers]:
        if connection is not None:
            connection.stop()
    kept._forget_connections()
    assert problems, "the workload should have found interleaving on an unguarded writer"


@requires_sqlite
async def test_a_second_process_writing_the_same_file_waits_instead_of_failing(tally):
    import subprocess
    import sys

    script = (
        "import asyncio, server\n"
        "from server.db.lifecycle import database\n"
        "from tests.test_engine import Tally\n"
        "async def main():\n"
        "    async with database():\n"
        "        for i in range(200):\n"
        "            async with server.db.lifecycle.engine().transaction():\n"
        "                await Tally.insert(Tally(task=-2, step=i))\n"
        "asyncio.run(main())\n"
    )
    other = subprocess.Popen([sys.executable, "-c", script], env=os.environ.copy())
    for i in range(200):
        async with engine().transaction():
            await Tally.insert(Tally(task=-3, step=i))
        await asyncio.sleep(0)
    assert other.wait(timeout=60) == 0
    assert await Tally.count().where(Tally.task == -2) == 200
    assert await Tally.count().where(Tally.task == -3) == 200


@requires_sqlite
async def test_a_task_that_outlives_its_transaction_cannot_write_outside_the_lock(tally):
    release = asyncio.Event()

    async def late_writer():
        await release.wait()
        await Tally.insert(Tally(task=99, step=1))

    async with engine().transaction():
        late = asyncio.create_task(late_writer())  # copies the transaction into its context
    release.set()
    with pytest.raises(RuntimeError, match="already ended"):
        await late
    assert await Tally.count() == 0
