"""Hash chains over the logs: each row carries `prev_hash`, the hash of the row before it.

A row's hash covers its content and the previous hash, so changing or removing any row breaks
every link after it; `verify` finds the first broken row. Rows are appended under one lock per
log (an advisory lock on PostgreSQL; SQLite's writer is single anyway), so the chain's order is
the id order. The hash function must never change: old logs are verified with it for years.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from piccolo.table import Table

from server.db.lifecycle import engine
from server.db.prepared import Statement
from server.settings import get_settings

GENESIS = "0" * 64
VERIFY_BATCH = 5000

# The columns each chained log hashes, in order (never reorder: old hashes depend on it).
CHAINED_COLUMNS = {
    "access_log": (
        "at",
        "user",
        "role",
        "team",
        "client",
        "action",
        "what",
        "object",
        "basis",
        "reason",
        "request_id",
        "session",
        "outcome",
    ),
    "disclosure_log": (
        "at",
        "user",
        "role",
        "team",
        "client",
        "recipient",
        "basis",
        "categories",
        "what",
        "request_id",
    ),
}


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def link_hash(table: type[Table], prev_hash: str, row: dict[str, Any]) -> str:
    content = [_canonical(row[name]) for name in CHAINED_COLUMNS[table._meta.tablename]]
    encoded = json.dumps(content, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}\n{encoded}".encode()).hexdigest()


_ADVISORY_LOCK = Statement("SELECT pg_advisory_xact_lock({})")


class _ChainStatements:
    """The head read and the one-row append of a chained table, prepared once (a use-log row is
    written on every visit and page of a client)."""

    def __init__(self, table: type[Table]) -> None:
        name = table._meta.tablename
        columns = (*CHAINED_COLUMNS[name], "prev_hash", "hash")
        self.columns = columns
        self.head = Statement(f'SELECT hash FROM "{name}" ORDER BY id DESC LIMIT 1')  # nosec B608 # names from CHAINED_COLUMNS
        self.insert_one = Statement(
            f'INSERT INTO "{name}" ({", ".join(f"{chr(34)}{c}{chr(34)}" for c in columns)}) '  # nosec B608
            f"VALUES ({', '.join(['{}'] * len(columns))})"
        )


_STATEMENTS: dict[str, _ChainStatements] = {}


def _statements(table: type[Table]) -> _ChainStatements:
    name = table._meta.tablename
    if name not in _STATEMENTS:
        _STATEMENTS[name] = _ChainStatements(table)
    return _STATEMENTS[name]


async def _lock(table: type[Table]) -> None:
    if not get_settings().is_sqlite:  # SQLite: the transaction already holds the only writer
        await _ADVISORY_LOCK.fetch(zlib.crc32(table._meta.tablename.encode()))


async def chain_start(table: type[Table]) -> str:
    """Where the chain begins: the genesis, or after a purge the hash of the last row it removed."""
    from server.audit.tables import PurgeRun

    column = {"access_log": PurgeRun.use_log_anchor, "disclosure_log": PurgeRun.disclosure_log_anchor}[
        table._meta.tablename
    ]
    row = await PurgeRun.select(column).where(column != "").order_by(PurgeRun.id, ascending=False).first()
    return row[column._meta.name] if row else GENESIS


async def append(table: type[Table], rows: list[dict[str, Any]]) -> None:
    """Add rows at the end of the table's chain, in order; returns once they are committed.

    Inside a caller's transaction the rows go into it (they stand or fall with the change they
    record). Otherwise they join the process's next group commit: concurrent requests share one
    transaction, one lock and one head read, instead of queueing for the lock one by one.
    """
    if not rows:
        return
    if engine().current_transaction.get() is not None:
        await _append_now(table, rows)
        return
    await _group_commit.submit(table, rows)


async def _append_now(table: type[Table], rows: list[dict[str, Any]]) -> None:
    statements = _statements(table)
    async with engine().transaction():
        await _lock(table)
        last = await statements.head.first()
        previous = last["hash"] if last else await chain_start(table)
        linked = []
        for row in rows:
            row["at"] = row["at"].astimezone(UTC)
            this_hash = link_hash(table, previous, row)
            linked.append({**row, "prev_hash": previous, "hash": this_hash})
            previous = this_hash
        if len(linked) == 1:  # a request's own row
            await statements.insert_one.fetch(*[linked[0][column] for column in statements.columns])
        else:  # a list's rows, or a group commit's batch
            await statements.insert_one.execute_many(
                [tuple(row[column] for column in statements.columns) for row in linked]
            )


class GroupCommit:
    """Rows waiting to be appended, written by one flushing task at a time per event loop."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.waiting: list[tuple[type[Table], list[dict[str, Any]], asyncio.Future]] = []
        self.flushing = False

    async def submit(self, table: type[Table], rows: list[dict[str, Any]]) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self.loop:  # a new event loop (a test, a command): nothing carries over
            self.loop, self.waiting, self.flushing = loop, [], False
        done = loop.create_future()
        self.waiting.append((table, rows, done))
        if not self.flushing:
            self.flushing = True
            # A fresh context: the flush belongs to no request and to no transaction.
            loop.create_task(self._flush(), context=contextvars.Context())
        await asyncio.shield(done)

    async def _flush(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting, []
                try:
                    async with engine().transaction():
                        for table in dict.fromkeys(item[0] for item in batch):
                            await _append_now(table, [row for item in batch if item[0] is table for row in item[1]])
                except Exception:  # noqa: BLE001 - one bad row must not cost the others their log rows
                    await self._one_by_one(batch)
                    continue
                for _table, _rows, done in batch:
                    if not done.done():
                        done.set_result(None)
        finally:
            self.flushing = False

    @staticmethod
    async def _one_by_one(batch) -> None:
        for table, rows, done in batch:
            try:
                await _append_now(table, rows)
            except Exception as exc:  # noqa: BLE001 - handed to the request that made the row
                if not done.done():
                    done.set_exception(exc)
            else:
                if not done.done():
                    done.set_result(None)


_group_commit = GroupCommit()


@dataclass
class Verdict:
    rows: int
    first_broken_id: int | None
    head: str

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None


async def verify(table: type[Table]) -> Verdict:
    """Walk the chain in id order; the first row whose links or content do not match is named."""
    columns = [
        table._meta.get_column_by_name(name)
        for name in ("id", *CHAINED_COLUMNS[table._meta.tablename], "prev_hash", "hash")
    ]
    previous, after_id, count = await chain_start(table), 0, 0
    while True:
        batch = await (
            table.select(*columns)
            .where(table.id > after_id)  # type: ignore[attr-defined]
            .order_by(table.id)  # type: ignore[attr-defined]
            .limit(VERIFY_BATCH)
        )
        for row in batch:
            if row["prev_hash"] != previous or row["hash"] != link_hash(table, previous, row):
                return Verdict(rows=count, first_broken_id=row["id"], head=previous)
            previous, count = row["hash"], count + 1
        if len(batch) < VERIFY_BATCH:
            return Verdict(rows=count, first_broken_id=None, head=previous)
        after_id = batch[-1]["id"]
