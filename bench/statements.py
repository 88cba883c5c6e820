"""CPU per database statement through the app's engine: where a visit POST's time goes.

usage: DATABASE_URL=... DATA_DIR=... .venv/bin/python bench/statements.py [N]
(run `rinnalla migrate` and `rinnalla demo` on that database first; client 1 and user 1 must exist)
Prints one row per statement kind: CPU ms per call (time.process_time over N calls).
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import sys
import time
import uuid

import server  # noqa: F401  (sets PICCOLO_CONF)
from server.casework.tables import Client, Visit, VisitWorker
from server.db.lifecycle import close_database, engine, open_database

NOW = datetime.datetime.now(datetime.UTC)
RAW_INSERT = (
    "INSERT INTO visit (uuid, team, client, anonymous_count, occurred_at, place, kind, notes, "
    "together_with_client, created_by, received_at) VALUES ({},{},{},{},{},{},{},{},{},{},{}) "
    "ON CONFLICT (uuid) DO NOTHING RETURNING id"
)


async def orm_insert():
    await (
        Visit.insert(Visit(uuid=uuid.uuid4(), team=1, client=1, occurred_at=NOW, created_by=1))
        .on_conflict(target=Visit.uuid, action="DO NOTHING")
        .returning(Visit.id)
    )


async def raw_insert():
    await Visit.raw(RAW_INSERT, uuid.uuid4(), 1, 1, 0, NOW, "", "street", "", False, 1, NOW)


async def two_children():
    await VisitWorker.insert(VisitWorker(visit=1, user=1), VisitWorker(visit=1, user=1))


async def empty_transaction():
    async with engine().transaction():
        pass


async def client_wall():
    await Client.select(Client.id, Client.team, Client.pair).where((Client.id == 1) & Client.team.is_in([1])).first()


async def main(n: int) -> None:
    logging.disable(logging.INFO)
    await open_database()
    print(f"| statement ({type(engine()).__name__}) | CPU ms per call |")
    print("| --- | ---: |")
    try:
        for label, fn in (
            ("Visit.insert … ON CONFLICT … RETURNING (ORM)", orm_insert),
            ("the same insert as raw SQL", raw_insert),
            ("VisitWorker.insert, 2 rows", two_children),
            ("empty transaction (BEGIN … COMMIT)", empty_transaction),
            ("client select with team wall", client_wall),
        ):
            started = time.process_time()
            for _ in range(n):
                await fn()
            print(f"| {label} | {(time.process_time() - started) / n * 1000:.3f} |")
    finally:
        await close_database()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 300))
