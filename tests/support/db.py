"""Schema and clean tables for the tests, on whichever database the run uses."""

from __future__ import annotations

from piccolo.conf.apps import Finder
from piccolo.table import sort_table_classes

from server.db.lifecycle import database, engine, migrate
from server.settings import get_settings


def all_tables():
    return sort_table_classes(Finder().get_table_classes())


async def migrate_fresh() -> None:
    async with database():
        await migrate()


async def empty_all_tables() -> None:
    tables = all_tables()
    if get_settings().is_sqlite:
        async with engine().transaction():
            for table in reversed(tables):  # children before parents
                await table.raw(f'DELETE FROM "{table._meta.tablename}"')
    else:
        names = ", ".join(f'"{t._meta.tablename}"' for t in tables)
        await tables[0].raw(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
