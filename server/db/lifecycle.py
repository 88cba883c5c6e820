"""Open and close the engine's connections, and bring the schema up to date."""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator

from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine


class MigrationError(RuntimeError):
    pass


_found: list = []


def engine():
    """The app's engine. Found once: Piccolo's engine_finder imports the configuration module on
    every call (about 0.1 ms, several times per request before this was kept)."""
    if not _found:
        found = engine_finder()
        if found is None:  # pragma: no cover - PICCOLO_CONF is set in server/__init__
            raise RuntimeError("Piccolo engine not configured")
        _found.append(found)
    return _found[0]


async def open_database() -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.start_connection_pool(min_size=1, max_size=10)
    else:
        await db.start_connection_pool()


async def close_database() -> None:
    await engine().close_connection_pool()


@contextlib.asynccontextmanager
async def database() -> AsyncIterator[None]:
    """For CLI commands and scripts: the connections live exactly as long as the block."""
    await open_database()
    try:
        yield
    finally:
        await close_database()


def _require_installed_files() -> None:
    # A wheel built without its data would otherwise fail deep inside Piccolo with a
    # FileNotFoundError that reads like a database problem.
    from server.resources import missing_folders

    missing = missing_folders()
    if missing:
        raise MigrationError(
            f"the installation is incomplete: {', '.join(missing)} not found; "
            "reinstall the package (the wheel carries web/ and migrations/)"
        )


async def migrate() -> str:
    """Apply every pending migration; raise MigrationError with Piccolo's message on failure."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    _require_installed_files()

    # run_forwards prints progress; keep the CLI's output to our own one line.
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        result = await run_forwards(app_name="all")
    if not result.success:
        raise MigrationError(result.message or printed.getvalue().strip().splitlines()[-1])
    return result.message or "ok"


async def pending_migrations() -> int:
    from piccolo.apps.migrations.commands.check import CheckMigrationManager

    _require_installed_files()
    with contextlib.redirect_stdout(io.StringIO()):
        rows = await CheckMigrationManager(app_name="all").get_migration_statuses()
    return sum(1 for row in rows if not row.has_ran)
