"""A Piccolo SQLite engine that keeps its connections open, serialises writes and commits in groups.

Why: stock Piccolo opens a new connection (and thread) for every statement and begins
transactions DEFERRED. Under 50 concurrent writers that gave a p99 of seconds, `database is
locked` errors, and read-then-write transactions that failed outright
(`shared/research/perf-anchors.md`). Here:

* one writer connection carries every write and every transaction, guarded by an asyncio lock
  held from a transaction's start to its end, so two tasks' transactions never interleave on it;
* a few reader connections (`query_only`) serve plain SELECTs beside the writer (WAL mode);
* statements run directly on the event-loop thread (`InlineConnection`): in WAL mode they take
  microseconds, far less than a hand-off to a helper thread. A long analytical query would block
  the loop while it runs: give such a query its own connection in `asyncio.to_thread`.

Acknowledged means on disk: the writer runs `synchronous=FULL`, so a COMMIT returns only after
the WAL is fsynced (about 3 ms on a virtual disk). One fsync per visit would cap the server at a
few hundred visits a second, so commits are grouped: each `engine.transaction()` (and each
autocommit write) is a SAVEPOINT inside one physical transaction of the writer; when it ends it
releases the lock and waits; a committer task takes the lock after the transactions that were
already queued, COMMITs all of them at once in a helper thread (the event loop serves reads
meanwhile) and only then lets each of them return. A transaction that fails rolls back to its
own savepoint and leaves the others of its group alone; a COMMIT that fails fails every
transaction of the group, none of which had answered yet.

The WAL stays bounded: after a group commit that leaves the WAL file larger than
`checkpoint_bytes`, the committer (still holding the writer) checkpoints it with TRUNCATE in a
helper thread; `journal_size_limit` also truncates it whenever SQLite restarts it. A reader of
another process (a backup) can make a TRUNCATE checkpoint give up; the next group tries again.

The database file is created 0600 in a 0700 directory; SQLite gives the -wal and -shm files the
database file's mode.

Rules that follow: reads inside a transaction run on the writer (they must see its own rows;
Piccolo's `current_transaction` context variable routes them); `get_connection()` keeps the
stock behaviour (a private connection the caller closes), never the shared writer; and the
engine belongs to one event loop, so `close_connection_pool()` must run before that loop ends.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import re
import sqlite3
import stat
import time
from pathlib import Path
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.querystring import QueryString

# Only a statement that starts with SELECT may go to a reader; anything else (writes,
# RETURNING, WITH, PRAGMA, DDL) takes the writer. Readers are query_only as a backstop.
_SELECT = re.compile(r"\s*SELECT\b", re.IGNORECASE)
# Statements that may run inside the writer's open group; anything else (PRAGMA, VACUUM, DDL,
# BEGIN/COMMIT typed by hand) first commits the group and then runs on its own.
_GROUPABLE = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|WITH)\b", re.IGNORECASE)
_SAVEPOINT = "rinnalla_unit"
SYNCHRONOUS_MODES = ("FULL", "NORMAL")


def private_directory(path: Path) -> None:
    """Create `path` (and its parents) as 0700; an existing one is left as it is."""
    if not path.exists():
        path.mkdir(parents=True, mode=0o700, exist_ok=True)
        os.chmod(path, 0o700)  # mkdir's mode is cut by the umask, never widened: make it exact


def private_database_file(path: Path) -> None:
    """The database file exists and is 0600 before SQLite opens it (which then gives its -wal and
    -shm files the same mode); a file an older version created 0644 is narrowed."""
    private_directory(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            if stat.S_IMODE(file.stat().st_mode) & 0o077:
                os.chmod(file, 0o600)
        except FileNotFoundError:
            pass


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
    """Piccolo's transaction as one unit of the writer's group: a savepoint, then wait for COMMIT."""

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

    async def begin(self) -> None:
        await self.engine.open_group()
        await self.connection.execute(f"SAVEPOINT {_SAVEPOINT}")

    async def commit(self) -> None:
        await self.connection.execute(f"RELEASE {_SAVEPOINT}")
        self._committed = True

    async def rollback(self) -> None:
        if self.connection.in_transaction:
            await self.connection.execute(f"ROLLBACK TO {_SAVEPOINT}")
            await self.connection.execute(f"RELEASE {_SAVEPOINT}")
        else:  # SQLite dropped the whole physical transaction (disk full, I/O error)
            self.engine.drop_group(RuntimeError("the database rolled back a group of transactions"))
        self._rolled_back = True

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        clean, committed = False, None
        try:
            if exception is not None:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
            if self._committed:
                committed = self.engine.join_group()
            clean = True
        finally:
            self.engine.current_transaction.reset(self.context)
            # A task created inside this block still carries it in its context: without the
            # connection it cannot slip statements onto the writer after the lock is gone.
            self.connection = None
            # Never close the shared writer; if the savepoint could not be closed, the next
            # holder rolls the whole group back first (and fails its waiting units).
            self.engine.release_writer(clean=clean)
        if committed is not None:
            await asyncio.shield(committed)  # answered only once it is on disk
        return exception is None


class KeptSQLiteEngine(SQLiteEngine):
    """SQLiteEngine with one kept writer that commits in groups and a small pool of kept readers."""

    def __init__(
        self,
        path: str,
        readers: int = 4,
        busy_timeout_ms: int = 10_000,
        synchronous: str = "FULL",
        checkpoint_bytes: int = 8 * 1024 * 1024,
        **kwargs: Any,
    ) -> None:
        super().__init__(path=path, **kwargs)
        if sqlite3.sqlite_version_info < (3, 35):
            raise RuntimeError("Rinnalla needs SQLite 3.35 or newer (RETURNING)")
        if synchronous.upper() not in SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous must be one of {SYNCHRONOUS_MODES}, not {synchronous!r}")
        self.reader_count = readers
        self.busy_timeout_ms = busy_timeout_ms
        self.synchronous = synchronous.upper()
        # A WAL file larger than this after a group commit is checkpointed and truncated.
        self.checkpoint_bytes = checkpoint_bytes
        self.checkpoints = 0  # TRUNCATE checkpoints that completed (bench and tests read it)
        self._writer: InlineConnection | None = None
        self._write_lock: asyncio.Lock | None = None
        self._writer_dirty = False
        # The units waiting in the writer's open physical transaction for its COMMIT (None: no
        # physical transaction is open).
        self._group: list[asyncio.Future] | None = None
        self._readers: asyncio.Queue[InlineConnection] | None = None
        self._all_readers: list[InlineConnection] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def wal_path(self) -> Path:
        return Path(f"{self.connection_kwargs['database']}-wal")

    # -- lifecycle ------------------------------------------------------------------------

    async def _connect(self, reader: bool) -> InlineConnection:
        raw = sqlite3.connect(**self.connection_kwargs, check_same_thread=False)
        raw.row_factory = dict_factory
        connection = InlineConnection(raw, wait_seconds=self.busy_timeout_ms / 1000)
        pragmas = ["PRAGMA busy_timeout = 0", f"PRAGMA synchronous = {self.synchronous}", "PRAGMA foreign_keys = ON"]
        if reader:
            pragmas.append("PRAGMA query_only = ON")
        else:
            # WAL is persistent in the file. The committer checkpoints (see the module's text);
            # SQLite's own automatic checkpoint would run inside a COMMIT on the event loop.
            pragmas[:0] = [
                "PRAGMA journal_mode = WAL",
                "PRAGMA wal_autocheckpoint = 0",
                f"PRAGMA journal_size_limit = {int(self.checkpoint_bytes)}",
            ]
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
        database = self.connection_kwargs["database"]
        if database != ":memory:" and not str(database).startswith("file:"):
            private_database_file(Path(database))
        writer = await self._connect(reader=False)
        readers = [await self._connect(reader=True) for _ in range(self.reader_count)]
        queue: asyncio.Queue[InlineConnection] = asyncio.Queue()
        for connection in readers:
            queue.put_nowait(connection)
        self._write_lock = asyncio.Lock()
        self._readers, self._all_readers, self._writer = queue, readers, writer

    async def close_connection_pool(self) -> None:
        if self._writer is None or self._loop is not asyncio.get_running_loop():
            return
        assert self._write_lock is not None
        async with self._write_lock:  # let a running transaction finish first
            await self._commit_group()
            for connection in [self._writer, *self._all_readers]:
                await connection.close()  # the last close checkpoints what is left in the WAL
            self._forget_connections()

    def _forget_connections(self) -> None:
        self._writer, self._readers, self._all_readers, self._write_lock = None, None, [], None
        self._writer_dirty, self._group = False, None

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
                # A holder was cancelled or failed while closing its savepoint: drop the whole
                # group (its units have not answered yet and are told) before anyone goes on.
                self.drop_group(RuntimeError("a transaction could not be closed cleanly"))
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

    # -- group commit ---------------------------------------------------------------------

    async def open_group(self) -> None:
        """With the writer held: make sure a physical transaction is open to add a unit to."""
        assert self._writer is not None
        if self._group is not None and not self._writer.in_transaction:
            self.drop_group(RuntimeError("the database rolled back a group of transactions"))
        if self._group is None:
            await self._writer.execute("BEGIN IMMEDIATE")
            self._group = []
            # A fresh context: the committer belongs to no request and no transaction. It queues
            # for the lock behind whoever waits now; they join this group first.
            asyncio.get_running_loop().create_task(self._committer(), context=contextvars.Context())

    def join_group(self) -> asyncio.Future:
        """With the writer held, after a unit's savepoint is released: its wait for the COMMIT."""
        assert self._group is not None
        done = asyncio.get_running_loop().create_future()
        self._group.append(done)
        return done

    def drop_group(self, reason: BaseException) -> None:
        """The physical transaction is lost: every unit waiting in it fails now (none has answered)."""
        group, self._group = self._group, None
        for done in group or []:
            if not done.done():
                done.set_exception(reason)

    async def _committer(self) -> None:
        lock = self._write_lock
        if lock is None or self._group is None:
            return
        await lock.acquire()
        clean = False
        try:
            if self._write_lock is lock and self._writer is not None:  # else: closed meanwhile
                if self._writer_dirty:  # see acquire_writer
                    self.drop_group(RuntimeError("a transaction could not be closed cleanly"))
                    if self._writer.in_transaction:
                        await self._writer.execute("ROLLBACK")
                    self._writer_dirty = False
                await self._commit_group()
            clean = True
        finally:
            if not clean and self._write_lock is lock:
                self._writer_dirty = True
            lock.release()

    async def _commit_group(self) -> None:
        """With the writer held: COMMIT the open group (one fsync), answer its units, checkpoint."""
        group, self._group = self._group, None
        if group is None or self._writer is None:
            return
        raw = self._writer.raw
        error: BaseException | None = None
        if not raw.in_transaction:
            error = RuntimeError("the database rolled back a group of transactions")
        else:
            try:
                await asyncio.to_thread(raw.execute, "COMMIT")  # the fsync: the loop serves reads
            except Exception as exc:  # noqa: BLE001 - handed to every unit of the group
                error = exc
        if error is not None and raw.in_transaction:
            try:
                raw.execute("ROLLBACK")
            except sqlite3.Error:  # the next holder of the writer rolls it back (acquire_writer)
                self._writer_dirty = True
        for done in group:
            if not done.done():
                done.set_exception(error) if error is not None else done.set_result(None)
        if error is None:
            await self._bound_wal()

    async def _bound_wal(self) -> None:
        try:
            size = self.wal_path.stat().st_size
        except FileNotFoundError:
            return
        if size > self.checkpoint_bytes:
            await asyncio.to_thread(self._checkpoint_truncate)

    def _checkpoint_truncate(self) -> None:
        """Copy the WAL into the database file and cut it to nothing; runs in a helper thread
        while the committer holds the writer, so only readers can be in its way (it waits for
        them a little, then gives up until the next group)."""
        connection = sqlite3.connect(self.connection_kwargs["database"], timeout=1.0, check_same_thread=False)
        try:
            connection.execute(f"PRAGMA synchronous = {self.synchronous}")
            busy, _log, _done = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                self.checkpoints += 1
        finally:
            connection.close()

    async def _in_group(self, query: str, args: list[Any]) -> list[dict[str, Any]]:
        """An autocommit write: one statement added to the group; returns once it is on disk."""
        connection = await self.acquire_writer()
        clean, committed = False, None
        try:
            await self.open_group()
            rows = await connection.execute_fetchall(query, args)
            committed = self.join_group()
            clean = True
        finally:
            self.release_writer(clean=clean)
        await asyncio.shield(committed)
        return rows

    async def _alone(self, query: str, args: list[Any]) -> list[dict[str, Any]]:
        """PRAGMA, DDL and the like: after the open group is committed, outside any transaction."""
        connection = await self.acquire_writer()
        clean = False
        try:
            await self._commit_group()
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
                raise RuntimeError(
                    "a query ran in a transaction that had already ended "
                    "(a task outlived the `async with transaction()` that created it)"
                )
            return await transaction.connection.execute_fetchall(query, args)
        if _SELECT.match(query):
            return await self._on_reader(query, args)
        if _GROUPABLE.match(query):
            return await self._in_group(query, args)
        return await self._alone(query, args)

    async def fetch(self, query: str, args: tuple | list = ()) -> list[dict[str, Any]]:
        """Run one prepared SQL statement with `?` parameters (the hot paths' way past Piccolo's
        query building): in the current transaction, on a reader, or as an autocommit write."""
        return await self._route(query, list(args))

    async def execute_many(self, query: str, rows: list[tuple]) -> None:
        """One write statement for many rows (sqlite3's executemany), in the current transaction
        or as one unit of the group."""
        transaction = self.current_transaction.get()
        if transaction is not None:
            if transaction.connection is None:
                raise RuntimeError("a query ran in a transaction that had already ended")
            transaction.connection.raw.executemany(query, rows)
            return
        connection = await self.acquire_writer()
        clean, committed = False, None
        try:
            await self.open_group()
            connection.raw.executemany(query, rows)
            committed = self.join_group()
            clean = True
        finally:
            self.release_writer(clean=clean)
        await asyncio.shield(committed)

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
