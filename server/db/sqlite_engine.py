"""A Piccolo SQLite engine that keeps its connections open and serialises writes.

Why: stock Piccolo opens a new connection (and thread) for every statement and begins
transactions DEFERRED. Under 50 concurrent writers that gave a p99 of seconds, `database is
locked` errors, and read-then-write transactions that failed outright
(`shared/research/perf-anchors.md`). Here:

* one writer connection carries every write and every transaction, guarded by an asyncio lock
  held from BEGIN to COMMIT, so two tasks' transactions never interleave on it;
* a few reader connections (`query_only`) serve plain SELECTs beside the writer (WAL mode);
* transactions begin IMMEDIATE, so a second process writing the same file waits for the lock
  (retrying without blocking the event loop) instead of failing on a read-to-write upgrade;
* statements run directly on the event-loop thread (`InlineConnection`): in WAL mode they take
  microseconds, far less than a hand-off to a helper thread. A long analytical query would block
  the loop while it runs: give such a query its own connection in `asyncio.to_thread`.

Rules that follow: reads inside a transaction run on the writer (they must see its own rows;
Piccolo's `current_transaction` context variable routes them); `get_connection()` keeps the
stock behaviour (a private connection the caller closes), never the shared writer; and the
engine belongs to one event loop, so `close_connection_pool()` must run before that loop ends.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.querystring import QueryString

# Only a statement that starts with SELECT may go to a reader; anything else (writes,
# RETURNING, WITH, PRAGMA, DDL) takes the writer. Readers are query_only as a backstop.
_SELECT = re.compile(r"\s*SELECT\b", re.IGNORECASE)


class InlineConnection:
    """A sqlite3 connection run directly on the event-loop thread, with the async face Piccolo uses.

    Why not aiosqlite: handing each statement to a helper thread and back cost 0.25-0.5 ms of CPU
    (bench/statements.py), far more than the statement itself (tens of microseconds in WAL mode).
    SQLite's own busy wait would block the loop, so busy_timeout is 0 and a statement that finds
    the file locked by another process is retried with asyncio.sleep until `wait_seconds` pass.
    """

    def __init__(self, raw: sqlite3.Connection, wait_seconds: float) -> None:
        self.raw = raw
        self.wait_seconds = wait_seconds

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction

    async def execute_fetchall(self, sql: str, parameters: Any = ()) -> list[dict[str, Any]]:
        delay, deadline = 0.001, time.monotonic() + self.wait_seconds
        while True:
            try:
                return self.raw.execute(sql, parameters).fetchall()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(delay)  # another process holds the write lock: let others run
            delay = min(delay * 2, 0.05)

    async def execute(self, sql: str, parameters: Any = ()) -> list[dict[str, Any]]:
        return await self.execute_fetchall(sql, parameters)

    async def close(self) -> None:
        self.raw.close()

    def stop(self) -> None:
        self.raw.close()


class KeptSQLiteTransaction(SQLiteTransaction):
    """Piccolo's transaction, run on the engine's kept writer while holding its lock."""

    __slots__ = ()
    engine: KeptSQLiteEngine  # the engine that made it (Piccolo types it as the base engine)

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await self.engine.acquire_writer()
        try:
            await self.begin()
        except BaseException:
            self.engine.release_writer(clean=False)
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        clean = False
        try:
            if exception is not None:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
            clean = True
        finally:
            self.engine.current_transaction.reset(self.context)
            # A task created inside this block still carries it in its context: without the
            # connection it cannot slip statements onto the writer after the lock is gone.
            self.connection = None
            # Never close the shared writer; if COMMIT/ROLLBACK did not finish, the next
            # holder rolls the half-open transaction back first.
            self.engine.release_writer(clean=clean)
        return exception is None


class KeptSQLiteEngine(SQLiteEngine):
    """SQLiteEngine with one kept writer and a small pool of kept readers."""

    def __init__(self, path: str, readers: int = 4, busy_timeout_ms: int = 10_000, **kwargs: Any) -> None:
        super().__init__(path=path, **kwargs)
        if sqlite3.sqlite_version_info < (3, 35):
            raise RuntimeError("Rinnalla needs SQLite 3.35 or newer (RETURNING)")
        self.reader_count = readers
        self.busy_timeout_ms = busy_timeout_ms
        self._writer: InlineConnection | None = None
        self._write_lock: asyncio.Lock | None = None
        self._writer_dirty = False
        self._readers: asyncio.Queue[InlineConnection] | None = None
        self._all_readers: list[InlineConnection] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._checkpointer: asyncio.Task | None = None
        self._stop_checkpoints = asyncio.Event()

    # -- lifecycle ------------------------------------------------------------------------

    async def _connect(self, reader: bool) -> InlineConnection:
        raw = sqlite3.connect(**self.connection_kwargs, check_same_thread=False)
        raw.row_factory = dict_factory
        connection = InlineConnection(raw, wait_seconds=self.busy_timeout_ms / 1000)
        pragmas = ["PRAGMA busy_timeout = 0", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON"]
        if reader:
            pragmas.append("PRAGMA query_only = ON")
        else:
            # WAL is persistent in the file. Checkpoints (which fsync) run in a helper thread, not
            # inside a commit on the event loop, where they would stall every request.
            pragmas[:0] = ["PRAGMA journal_mode = WAL", "PRAGMA wal_autocheckpoint = 0"]
        for pragma in pragmas:
            await connection.execute(pragma)
        return connection

    async def start_connection_pool(self, **_ignored: Any) -> None:
        loop = asyncio.get_running_loop()
        if self._writer is not None and self._loop is loop:
            return
        if self._writer is not None:
            # The previous loop ended without closing us: close its connections here.
            for connection in [self._writer, *self._all_readers]:
                connection.stop()
            self._forget_connections()
        self._loop = loop
        writer = await self._connect(reader=False)
        readers = [await self._connect(reader=True) for _ in range(self.reader_count)]
        queue: asyncio.Queue[InlineConnection] = asyncio.Queue()
        for connection in readers:
            queue.put_nowait(connection)
        self._write_lock = asyncio.Lock()
        self._readers, self._all_readers, self._writer = queue, readers, writer
        self._stop_checkpoints = asyncio.Event()
        self._checkpointer = loop.create_task(self._checkpoint_now_and_then(self._stop_checkpoints))

    async def _checkpoint_now_and_then(self, stop: asyncio.Event, every_seconds: float = 1.0) -> None:
        """Copy the WAL back into the database file beside the writer (PASSIVE never blocks it).

        Stopped by `stop`, never cancelled: a checkpoint running in its thread must finish before
        its connection is closed.
        """
        connection = sqlite3.connect(self.connection_kwargs["database"], check_same_thread=False)
        try:
            while not stop.is_set():
                try:
                    await asyncio.wait_for(stop.wait(), timeout=every_seconds)
                except asyncio.TimeoutError:
                    await asyncio.to_thread(connection.execute, "PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            connection.close()

    async def close_connection_pool(self) -> None:
        if self._writer is None or self._loop is not asyncio.get_running_loop():
            return
        assert self._write_lock is not None
        if self._checkpointer is not None:
            self._stop_checkpoints.set()
            await self._checkpointer
        async with self._write_lock:  # let a running transaction finish first
            for connection in [self._writer, *self._all_readers]:
                await connection.close()  # the last close checkpoints what is left in the WAL
            self._forget_connections()

    def _forget_connections(self) -> None:
        self._writer, self._readers, self._all_readers, self._write_lock = None, None, [], None
        self._writer_dirty, self._checkpointer = False, None

    async def _ensure_open(self) -> None:
        if self._writer is None or self._loop is not asyncio.get_running_loop():
            await self.start_connection_pool()

    # -- the writer -----------------------------------------------------------------------

    async def acquire_writer(self) -> InlineConnection:
        await self._ensure_open()
        assert self._write_lock is not None and self._writer is not None
        await self._write_lock.acquire()
        if self._writer_dirty:
            try:
                # A holder was cancelled or failed inside COMMIT/ROLLBACK: drop its half-open
                # transaction before anyone else uses the connection.
                if self._writer.in_transaction:
                    await self._writer.execute("ROLLBACK")
                self._writer_dirty = False
            except BaseException:
                self._write_lock.release()
                raise
        return self._writer

    def release_writer(self, clean: bool = True) -> None:
        if not clean:
            self._writer_dirty = True
        assert self._write_lock is not None
        self._write_lock.release()

    async def _on_writer(self, query: str, args: list[Any]) -> list[dict[str, Any]]:
        connection = await self.acquire_writer()
        clean = False
        try:
            rows = await connection.execute_fetchall(query, args)
            clean = True
            return rows
        finally:
            self.release_writer(clean=clean)

    async def _on_reader(self, query: str, args: list[Any]) -> list[dict[str, Any]]:
        await self._ensure_open()
        assert self._readers is not None
        connection = await self._readers.get()
        try:
            return await connection.execute_fetchall(query, args)
        finally:
            self._readers.put_nowait(connection)

    async def _route(self, query: str, args: list[Any]) -> list[dict[str, Any]]:
        transaction = self.current_transaction.get()
        if transaction is not None:
            if transaction.connection is None:
                raise RuntimeError("a query ran in a transaction that had already ended "
                                   "(a task outlived the `async with transaction()` that created it)")
            return await transaction.connection.execute_fetchall(query, args)
        if _SELECT.match(query):
            return await self._on_reader(query, args)
        return await self._on_writer(query, args)

    # -- Piccolo's entry points -----------------------------------------------------------

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False):
        query, args = querystring.compile_string(engine_type=self.engine_type)
        if self.log_queries:
            self.print_query(query_id=self.get_query_id(), query=str(querystring))
        return await self._route(query, list(args))

    async def run_ddl(self, ddl: str, in_pool: bool = False):
        if self.log_queries:
            self.print_query(query_id=self.get_query_id(), query=ddl)
        return await self._route(ddl, [])

    def transaction(
        self, transaction_type: TransactionType = TransactionType.immediate, allow_nested: bool = True
    ) -> KeptSQLiteTransaction:
        return KeptSQLiteTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)

    def atomic(self, transaction_type: TransactionType = TransactionType.immediate):
        return super().atomic(transaction_type=transaction_type)
