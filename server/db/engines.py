"""Choose the Piccolo engine from DATABASE_URL: SQLite by default, PostgreSQL in production."""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine

from server.db.sqlite_engine import SYNCHRONOUS_MODES, KeptSQLiteEngine, private_directory
from server.settings import Settings, SettingsError


def postgres_config(database_url: str) -> dict:
    parts = urlsplit(database_url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": unquote(parts.username) if parts.username else "postgres",
        "password": unquote(parts.password) if parts.password else None,
        "database": parts.path.lstrip("/") or "rinnalla",
    }


def sqlite_synchronous() -> str:
    """SQLITE_SYNCHRONOUS: FULL (the default) answers a write once it is fsynced; NORMAL (for
    bench/visits.py's comparison) may lose the last acknowledged writes in a power cut."""
    mode = os.environ.get("SQLITE_SYNCHRONOUS", "FULL").strip().upper() or "FULL"
    if mode not in SYNCHRONOUS_MODES:
        raise SettingsError(f"SQLITE_SYNCHRONOUS must be FULL or NORMAL, got {mode!r}")
    return mode


def make_engine(settings: Settings) -> Engine:
    if settings.is_sqlite:
        private_directory(settings.sqlite_path.parent)
        return KeptSQLiteEngine(path=str(settings.sqlite_path), synchronous=sqlite_synchronous())
    return PostgresEngine(config=postgres_config(settings.database_url))
