"""Hash chains over the logs: each row carries `prev_hash`, the hash of the row before it.

A row's hash covers its content and the previous hash, so changing or removing any row breaks
every link after it; `verify` finds the first broken row. Rows are appended under one lock per
log (an advisory lock on PostgreSQL; SQLite's writer is single anyway), so the chain's order is
the id order. The hash function must never change: old logs are verified with it for years.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from piccolo.table import Table

from server.db.lifecycle import engine
from server.settings import get_settings

GENESIS = "0" * 64
VERIFY_BATCH = 5000

# The columns each chained log hashes, in order (never reorder: old hashes depend on it).
CHAINED_COLUMNS = {
    "access_log": ("at", "user", "role", "team", "client", "action", "what", "object", "basis", "reason",
                   "request_id", "session", "outcome"),
    "disclosure_log": ("at", "user", "role", "team", "client", "recipient", "basis", "categories", "what",
                       "request_id"),
}


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat(timespec="microseconds")
    return value


def link_hash(table: type[Table], prev_hash: str, row: dict[str, Any]) -> str:
    content = [_canonical(row[name]) for name in CHAINED_COLUMNS[table._meta.tablename]]
    encoded = json.dumps(content, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}\n{encoded}".encode("utf-8")).hexdigest()


async def _lock(table: type[Table]) -> None:
    if not get_settings().is_sqlite:  # SQLite: the transaction already holds the only writer
        key = zlib.crc32(table._meta.tablename.encode())
        await table.raw("SELECT pg_advisory_xact_lock({})", key)


async def chain_start(table: type[Table]) -> str:
    """Where the chain begins: the genesis, or after a purge the hash of the last row it removed."""
    from server.audit.tables import PurgeRun

    column = {"access_log": PurgeRun.use_log_anchor, "disclosure_log": PurgeRun.disclosure_log_anchor}[
        table._meta.tablename]
    row = await PurgeRun.select(column).where(column != "").order_by(PurgeRun.id, ascending=False).first()
    return row[column._meta.name] if row else GENESIS


async def append(table: type[Table], rows: list[dict[str, Any]]) -> None:
    """Insert rows at the end of the table's chain, in order."""
    if not rows:
        return
    async with engine().transaction():
        await _lock(table)
        last = await table.select(table.hash).order_by(table.id, ascending=False).first()  # type: ignore[attr-defined]
        previous = last["hash"] if last else await chain_start(table)
        linked = []
        for row in rows:
            row["at"] = row["at"].astimezone(timezone.utc)
            this_hash = link_hash(table, previous, row)
            linked.append(table(**row, prev_hash=previous, hash=this_hash))
            previous = this_hash
        await table.insert(*linked)


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
    columns = [table._meta.get_column_by_name(name) for name in ("id", *CHAINED_COLUMNS[table._meta.tablename],
                                                                  "prev_hash", "hash")]
    previous, after_id, count = await chain_start(table), 0, 0
    while True:
        batch = await (table.select(*columns).where(table.id > after_id)  # type: ignore[attr-defined]
                       .order_by(table.id).limit(VERIFY_BATCH))  # type: ignore[attr-defined]
        for row in batch:
            if row["prev_hash"] != previous or row["hash"] != link_hash(table, previous, row):
                return Verdict(rows=count, first_broken_id=row["id"], head=previous)
            previous, count = row["hash"], count + 1
        if len(batch) < VERIFY_BATCH:
            return Verdict(rows=count, first_broken_id=None, head=previous)
        after_id = batch[-1]["id"]
