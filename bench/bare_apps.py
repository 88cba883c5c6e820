"""The bare baselines bench/side_by_side.py measures Rinnalla against (BARE_APP picks one).

BARE_APP=hello   a Litestar JSON hello: the framework's floor for a request.
BARE_APP=kept    the kept-writer idempotent insert on SQLite, on the lines of the proof of concept
                 (shared/research/poc/sqlite_kept_connection, route /visits): one kept writer
                 connection behind an asyncio lock, WAL, synchronous=NORMAL as the proof of
                 concept ran, Piccolo's `insert ... on_conflict(DO NOTHING)` and, when nothing was
                 inserted, a SELECT of the stored row. BARE_DB: the SQLite file.
BARE_APP=pginsert  Litestar + Piccolo plain insert on PostgreSQL with a pool (perf-anchors.md §2).
                 BARE_PG: postgresql:// URL of a scratch database.

usage: BARE_APP=kept BARE_DB=/tmp/x.sqlite uvicorn bench.bare_apps:app --loop uvloop --http httptools
"""

from __future__ import annotations

import asyncio
import datetime
import os
import sqlite3
import uuid
from urllib.parse import urlsplit

import msgspec
from litestar import Litestar, Response, get, post
from piccolo.columns import UUID, Integer, Text, Timestamptz
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, dict_factory
from piccolo.table import Table

KIND = os.environ.get("BARE_APP", "hello")
NOTE = ("Lorem ipsum dolor sit amet " * 8)[:200]
SQLITE_DDL = (
    'CREATE TABLE IF NOT EXISTS "visit" ("id" INTEGER PRIMARY KEY NOT NULL, "uuid" UUID UNIQUE NOT NULL, '
    '"client_id" INTEGER NOT NULL DEFAULT 0, "note" TEXT NOT NULL DEFAULT \'\', '
    '"created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)'
)
PG_DDL = (
    "CREATE TABLE IF NOT EXISTS visit (id serial PRIMARY KEY, uuid uuid UNIQUE NOT NULL, client_id int NOT NULL, "
    "note text NOT NULL, created_at timestamptz NOT NULL)"
)


class KeptWriter(SQLiteEngine):
    """The proof of concept's idea in a few lines: every statement on one kept connection, in
    turn (a single-statement route needs no more). Run on the event loop, as Rinnalla's engine."""

    def __init__(self, path: str) -> None:
        super().__init__(path=path)
        self.connection: sqlite3.Connection | None = None
        self.lock: asyncio.Lock | None = None

    def open(self) -> None:
        self.connection = sqlite3.connect(
            **{**self.connection_kwargs, "isolation_level": None}, check_same_thread=False
        )
        self.connection.row_factory = dict_factory
        for pragma in ("PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON"):
            self.connection.execute(pragma)
        self.lock = asyncio.Lock()

    async def run_querystring(self, querystring, in_pool: bool = False):
        query, args = querystring.compile_string(engine_type=self.engine_type)
        async with self.lock:
            return self.connection.execute(query, args).fetchall()


def _pg_config(url: str) -> dict:
    parts = urlsplit(url)
    return {
        "host": parts.hostname,
        "port": parts.port or 5432,
        "user": parts.username,
        "password": parts.password,
        "database": parts.path.lstrip("/"),
    }


if KIND == "kept":
    ENGINE: SQLiteEngine | PostgresEngine | None = KeptWriter(os.environ.get("BARE_DB", "bare.sqlite"))
elif KIND == "pginsert":
    ENGINE = PostgresEngine(config=_pg_config(os.environ["BARE_PG"]))
else:
    ENGINE = None


class Visit(Table, db=ENGINE):
    uuid = UUID(unique=True)
    client_id = Integer()
    note = Text()
    created_at = Timestamptz()


class VisitIn(msgspec.Struct):
    id: uuid.UUID
    client_id: int
    note: str
    created_at: datetime.datetime


@get("/")
async def hello() -> dict[str, str]:
    return {"hello": "world"}


@post("/visits")
async def visit_upsert(data: VisitIn) -> Response:
    """The proof of concept's /visits: insert once, answer a repeat with the stored row."""
    rows = await Visit.insert(
        Visit(uuid=data.id, client_id=data.client_id, note=data.note, created_at=data.created_at)
    ).on_conflict(target=Visit.uuid, action="DO NOTHING")
    if rows:
        return Response(
            {
                "id": rows[0]["id"],
                "uuid": data.id,
                "client_id": data.client_id,
                "note": data.note,
                "created_at": data.created_at,
            },
            status_code=201,
        )
    return Response(await Visit.select().where(Visit.uuid == data.id).first(), status_code=200)


@post("/insert")
async def visit_insert(data: VisitIn) -> Response:
    """perf-anchors.md §2: a plain Piccolo insert."""
    rows = await Visit.insert(Visit(uuid=data.id, client_id=data.client_id, note=data.note, created_at=data.created_at))
    return Response({"id": rows[0]["id"]}, status_code=201)


async def startup() -> None:
    if isinstance(ENGINE, KeptWriter):
        ENGINE.open()
        ENGINE.connection.execute(SQLITE_DDL)
    elif isinstance(ENGINE, PostgresEngine):
        await ENGINE.start_connection_pool()
        await ENGINE.run_ddl(PG_DDL)


async def shutdown() -> None:
    if isinstance(ENGINE, PostgresEngine):
        await ENGINE.close_connection_pool()


app = Litestar(route_handlers=[hello, visit_upsert, visit_insert], on_startup=[startup], on_shutdown=[shutdown])
