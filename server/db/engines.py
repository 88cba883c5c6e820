"""Choose the Piccolo engine from DATABASE_URL: SQLite by default, PostgreSQL in production."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine

from server.db.sqlite_engine import KeptSQLiteEngine, private_directory
from server.settings import Settings


def postgres_config(database_url: str) -> dict:
    parts = urlsplit(database_url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": unquote(parts.username) if parts.username else "postgres",
        "password": unquote(parts.password) if parts.password else None,
        "database": parts.path.lstrip("/") or "rinnalla",
    }


def make_engine(settings: Settings) -> Engine:
    if settings.is_sqlite:
        private_directory(settings.sqlite_path.parent)
        return KeptSQLiteEngine(path=str(settings.sqlite_path), synchronous=settings.sqlite_synchronous)
    return PostgresEngine(config=postgres_config(settings.database_url))
