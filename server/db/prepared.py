"""Hot statements written once as SQL with parameters, run past Piccolo's query building.

Why: building a Piccolo query (columns, where-clauses, compiling the QueryString) cost about a
fifth of a visit POST's CPU (issue 21's profile), for statements whose text never changes. A
`Statement` holds its text for each database, converted once; running it is one call on the
current transaction's connection, a kept reader or the writer (SQLite), or a pool connection
(PostgreSQL, where asyncpg also keeps the statement prepared per connection).

Write the SQL with `{}` for each parameter, in order, as for `Table.raw`. Parameters are always
bound, never formatted into the text. Rows come back as dicts, like Piccolo's.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from typing import Any

from server.db.lifecycle import engine
from server.db.sqlite_engine import KeptSQLiteEngine

_PLACEHOLDER = re.compile(r"\{\}")


class Statement:
    __slots__ = ("sqlite", "postgres")

    def __init__(self, sql: str, postgres: str | None = None) -> None:
        """`sql` for both databases, or for SQLite only when `postgres` gives PostgreSQL's own text."""
        self.sqlite = _PLACEHOLDER.sub("?", sql)
        numbers = itertools.count(1)
        self.postgres = _PLACEHOLDER.sub(lambda _match: f"${next(numbers)}", postgres or sql)

    async def fetch(self, *args: Any) -> list[dict[str, Any]]:
        db = engine()
        if isinstance(db, KeptSQLiteEngine):
            return await db.fetch(self.sqlite, args)
        transaction = db.current_transaction.get()
        if transaction is not None:
            rows = await transaction.connection.fetch(self.postgres, *args)
        elif db.pool is not None:
            async with db.pool.acquire() as connection:
                rows = await connection.fetch(self.postgres, *args)
        else:
            connection = await db.get_new_connection()
            try:
                rows = await connection.fetch(self.postgres, *args)
            finally:
                await connection.close()
        return [dict(row) for row in rows]

    async def execute_many(self, rows: list[tuple]) -> None:
        """The statement (a write) once per row of parameters, in one call."""
        db = engine()
        if isinstance(db, KeptSQLiteEngine):
            await db.execute_many(self.sqlite, rows)
            return
        transaction = db.current_transaction.get()
        if transaction is not None:
            await transaction.connection.executemany(self.postgres, rows)
        elif db.pool is not None:
            async with db.pool.acquire() as connection:
                await connection.executemany(self.postgres, rows)
        else:
            connection = await db.get_new_connection()
            try:
                await connection.executemany(self.postgres, rows)
            finally:
                await connection.close()

    async def first(self, *args: Any) -> dict[str, Any] | None:
        rows = await self.fetch(*args)
        return rows[0] if rows else None


def on_sqlite() -> bool:
    return isinstance(engine(), KeptSQLiteEngine)


_BY_TEXT: dict[str, Statement] = {}


def statement(sql: str) -> Statement:
    """The Statement for this text, converted once and kept: for queries whose text varies with the
    length of an `IN` list (a team scope, a page of ids), so each length is converted only once.
    Only for texts built from code and placeholders: lengths are bounded by the page sizes, so the
    kept texts stay a few hundred at most."""
    found = _BY_TEXT.get(sql)
    if found is None:
        found = _BY_TEXT[sql] = Statement(sql)
    return found


def placeholders(count: int) -> str:
    """`{}, {}, …` for an `IN (…)` of `count` values; an empty list is given one value no row has."""
    return ", ".join(["{}"] * max(count, 1))


def column_list(columns: Iterable[Any], alias: str) -> str:
    """`alias."a", alias."b", …` for plain Piccolo columns of one table: a tuple of columns kept for
    Piccolo's queries, reused in SQL written by hand (rows come back with the same keys)."""
    return ", ".join(f'{alias}."{column._meta.db_column_name}"' for column in columns)
