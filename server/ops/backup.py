"""`rinnalla backup` / `restore` / `backup --verify`: a consistent copy while the app runs.

A backup is one file: a tar of `manifest.json`, the database (SQLite's online backup API, or
`pg_dump` in custom format taken in one exported snapshot, so its counts are exact while
visits keep coming in) and the data directory's keys (the secret and the VAPID key). The
manifest holds the app version, each app's last migration, counts per table and a sha256 per
file. With `--to age1…` the whole file is encrypted to that recipient (age format), so a backup
on a shared drive leaks nothing.

`restore` goes into an empty installation only, refuses a backup whose schema is newer than
this code's, checks every checksum, then migrates forward. A SQLite backup restores into
PostgreSQL too (the way from one machine to a county's server): rows are copied table by table.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import UTC, date, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from uuid import UUID

from piccolo.conf.apps import Finder
from piccolo.table import sort_table_classes

from server.db.engines import postgres_config
from server.db.sqlite_engine import private_directory
from server.settings import get_settings

FORMAT = 1
KEY_FILES = ("secret_key", "vapid_private_key")


class BackupError(RuntimeError):
    """One line for the operator: what is wrong and what to do."""


def app_version() -> str:
    try:
        return version("rinnalla")
    except PackageNotFoundError:
        return "unknown"


def _tables() -> list[str]:
    """The app's tables, parents before children."""
    return [t._meta.tablename for t in sort_table_classes(Finder().get_table_classes())]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def code_migrations() -> set[str]:
    """Every migration id this code knows."""
    known = set()
    for app in Finder().get_app_configs():
        folder = Path(app.migrations_folder_path)
        for path in folder.glob("*.py"):
            text = path.read_text(encoding="utf-8")
            for line in text.splitlines():
                if line.startswith("ID = "):
                    known.add(line.split("=", 1)[1].strip().strip("\"'"))
    return known


# -- taking a backup -----------------------------------------------------------------------------


def _sqlite_copy(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
        live.backup(copy)  # a consistent snapshot while writers go on
    copy = sqlite3.connect(target)
    copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    copy.close()


def _sqlite_facts(path: Path) -> tuple[dict[str, int], dict[str, str], list[str]]:
    connection = sqlite3.connect(path)
    try:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        counts = {t: connection.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in _tables() if t in names}  # nosec B608 # table names come from the app's models
        migrations: dict[str, list[str]] = {}
        if "migration" in names:
            for app, name in connection.execute('SELECT app_name, name FROM "migration" ORDER BY id'):
                migrations.setdefault(app, [])
                migrations[app].append(name)
    finally:
        connection.close()
    return (
        counts,
        {app: names[-1] for app, names in migrations.items()},
        sorted({name for names in migrations.values() for name in names}),
    )


async def _postgres_dump(target: Path) -> tuple[dict[str, int], dict[str, str], list[str]]:
    import asyncpg

    config = postgres_config(get_settings().database_url)
    connection = await asyncpg.connect(**config)
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await connection.fetchval("SELECT pg_export_snapshot()")
            existing = {
                r["tablename"]
                for r in await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            }
            counts = {t: await connection.fetchval(f'SELECT COUNT(*) FROM "{t}"') for t in _tables() if t in existing}  # nosec B608 # table names come from the app's models
            rows = await connection.fetch('SELECT app_name, name FROM "migration" ORDER BY id')
            env = {**os.environ, "PGPASSWORD": config["password"] or ""}
            if shutil.which("pg_dump") is None:
                raise BackupError("pg_dump is not installed (Debian: apt-get install postgresql-client)")
            result = await asyncio.to_thread(
                subprocess.run,
                [
                    "pg_dump",
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    "--no-owner",
                    "--no-privileges",
                    "-h",
                    config["host"],
                    "-p",
                    str(config["port"]),
                    "-U",
                    config["user"],
                    "-f",
                    str(target),
                    config["database"],
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise BackupError(f"pg_dump failed: {result.stderr.strip().splitlines()[-1] if result.stderr else ''}")
    finally:
        await connection.close()
    last: dict[str, str] = {}
    for row in rows:
        last[row["app_name"]] = row["name"]
    return counts, last, sorted(row["name"] for row in rows)


async def backup(path: Path, recipient: str | None = None) -> dict[str, Any]:
    settings = get_settings()
    with tempfile.TemporaryDirectory(prefix="rinnalla-backup-") as work:
        work_dir = Path(work)
        if settings.is_sqlite:
            database_file = work_dir / "database.sqlite"
            await asyncio.to_thread(_sqlite_copy, settings.sqlite_path, database_file)
            counts, last, applied = _sqlite_facts(database_file)
        else:
            database_file = work_dir / "database.pgdump"
            counts, last, applied = await _postgres_dump(database_file)
        members = {database_file.name: database_file.read_bytes()}
        for name in KEY_FILES:
            key = settings.data_dir / name
            if key.exists():
                members[f"keys/{name}"] = key.read_bytes()
        manifest = {
            "format": FORMAT,
            "app": "rinnalla",
            "version": app_version(),
            "created_at": datetime.now(UTC).isoformat(),
            "engine": "sqlite" if settings.is_sqlite else "postgresql",
            "migrations": last,
            "applied_migrations": applied,
            "counts": counts,
            "files": {name: _sha256(data) for name, data in members.items()},
            "keys_from_environment": [
                name
                for name, env in (("secret_key", "SECRET_KEY"), ("vapid_private_key", "VAPID_PRIVATE_KEY"))
                if os.environ.get(env)
            ],
        }
        archive = io.BytesIO()
        with tarfile.open(fileobj=archive, mode="w:gz") as tar:
            for name, data in {"manifest.json": json.dumps(manifest, indent=2).encode(), **members}.items():
                info = tarfile.TarInfo(name)
                info.size, info.mode = len(data), 0o600
                tar.addfile(info, io.BytesIO(data))
        payload = archive.getvalue()
        if recipient:
            import pyrage

            try:
                payload = pyrage.encrypt(payload, [pyrage.x25519.Recipient.from_str(recipient.strip())])
            except Exception as exc:  # noqa: BLE001 - pyrage raises its own types
                raise BackupError(f"not an age recipient (age1…): {exc}") from exc
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(path.name + ".partial")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)  # never a half-written backup under the real name
        except OSError as exc:
            raise BackupError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return manifest


# -- reading one ----------------------------------------------------------------------------------


def read_backup(path: Path, identity_file: Path | None = None) -> tuple[dict[str, Any], dict[str, bytes]]:
    try:
        payload = path.read_bytes()
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if payload.startswith(b"age-encryption.org/"):
        if identity_file is None:
            raise BackupError("the backup is encrypted: give the age identity with --identity FILE")
        import pyrage

        try:
            identities = [
                pyrage.x25519.Identity.from_str(line.strip())
                for line in identity_file.read_text(encoding="utf-8").splitlines()
                if line.startswith("AGE-SECRET-KEY-")
            ]
        except Exception as exc:  # noqa: BLE001 - unreadable file or a malformed key
            raise BackupError(f"{identity_file} is not an age identity file") from exc
        if not identities:
            raise BackupError(f"{identity_file} holds no age identity (AGE-SECRET-KEY-…)")
        try:
            payload = pyrage.decrypt(payload, identities)
        except Exception as exc:  # noqa: BLE001
            raise BackupError("the backup does not open with that identity") from exc
    try:
        with tarfile.open(fileobj=io.BytesIO(payload), mode="r:gz") as tar:
            members = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]
    except (tarfile.TarError, OSError) as exc:
        raise BackupError("not a Rinnalla backup (unreadable archive)") from exc
    if "manifest.json" not in members:
        raise BackupError("not a Rinnalla backup (no manifest)")
    manifest = json.loads(members.pop("manifest.json"))
    if manifest.get("app") != "rinnalla" or manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')} is not one this version reads ({FORMAT})")
    for name, digest in manifest["files"].items():
        if _sha256(members.get(name, b"")) != digest:
            raise BackupError(f"the backup is damaged: {name} does not match its checksum")
    unknown = sorted(set(manifest["applied_migrations"]) - code_migrations())
    if unknown:
        raise BackupError(
            f"the backup has a newer schema than this Rinnalla ({manifest['version']}, migration "
            f"{unknown[0]}): upgrade Rinnalla first, then restore"
        )
    return manifest, members


def sqlite_counts(path: Path) -> dict[str, int]:
    return _sqlite_facts(path)[0]


# -- restoring ------------------------------------------------------------------------------------


def _pg_env(config: dict[str, Any]) -> dict[str, str]:
    return {**os.environ, "PGPASSWORD": config["password"] or ""}


def _pg_args(config: dict[str, Any]) -> list[str]:
    return ["-h", config["host"], "-p", str(config["port"]), "-U", config["user"]]


def sqlite_is_empty(path: Path) -> bool:
    if not path.exists():
        return True
    connection = sqlite3.connect(path)
    try:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return all(
            connection.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] == 0  # nosec B608 # table names come from the app's models
            for t in _tables()
            if t in names
        )
    finally:
        connection.close()


async def postgres_is_empty(database_url: str) -> bool:
    import asyncpg

    connection = await asyncpg.connect(**postgres_config(database_url))
    try:
        existing = {
            r["tablename"]
            for r in await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
        for table in _tables():
            if table in existing and await connection.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}")'):  # nosec B608 # table names come from the app's models
                return False
        return True
    finally:
        await connection.close()


def restore_keys(members: dict[str, bytes], data_dir: Path) -> None:
    """The secret and the VAPID key come back with the data, so sessions' CSRF and the phones'
    push subscriptions keep working. Called for an empty installation only: a key generated there
    when the settings were first read has served nothing yet and is replaced."""
    private_directory(data_dir)
    for name in KEY_FILES:
        data = members.get(f"keys/{name}")
        if data is None:
            continue
        partial = data_dir / f"{name}.restoring"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(partial, data_dir / name)


def restore_sqlite_file(members: dict[str, bytes], target: Path) -> None:
    """The restored database is 0600 in a 0700 directory, as the app creates it (its -wal and
    -shm files take the database file's mode)."""
    private_directory(target.parent)
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    partial = target.with_name(target.name + ".restoring")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(members["database.sqlite"])
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(partial, 0o600)  # an older .restoring file keeps its mode through O_CREAT
    os.replace(partial, target)


async def restore_postgres_dump(members: dict[str, bytes], database_url: str) -> None:
    config = postgres_config(database_url)
    with tempfile.NamedTemporaryFile(suffix=".pgdump") as dump:
        dump.write(members["database.pgdump"])
        dump.flush()
        result = await asyncio.to_thread(
            subprocess.run,
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                *_pg_args(config),
                "-d",
                config["database"],
                dump.name,
            ],
            env=_pg_env(config),
            capture_output=True,
            text=True,
        )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {(result.stderr.strip().splitlines() or [''])[-1]}")


_CONVERT = {
    "timestamp with time zone": lambda v: datetime.fromisoformat(v) if isinstance(v, str) else v,
    "date": lambda v: date.fromisoformat(v) if isinstance(v, str) else v,
    "uuid": lambda v: UUID(v) if isinstance(v, str) else v,
    "boolean": bool,
}


async def copy_sqlite_into_postgres(sqlite_file: Path, database_url: str) -> None:
    """Rows of a (migrated) SQLite copy into an empty, migrated PostgreSQL, parents first, in one
    transaction; then each id sequence continues after the highest id."""
    import asyncpg

    source = sqlite3.connect(sqlite_file)
    connection = await asyncpg.connect(**postgres_config(database_url))
    try:
        async with connection.transaction():
            for table in _tables():
                types = {
                    r["column_name"]: r["data_type"]
                    for r in await connection.fetch(
                        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1", table
                    )
                }
                cursor = source.execute(f'SELECT * FROM "{table}"')  # nosec B608 # table names come from the app's models
                columns = [d[0] for d in cursor.description]
                converters = [_CONVERT.get(types.get(c, ""), lambda v: v) for c in columns]
                while rows := cursor.fetchmany(5000):
                    records = [
                        tuple(None if v is None else f(v) for f, v in zip(converters, row, strict=False))
                        for row in rows
                    ]
                    await connection.copy_records_to_table(table, records=records, columns=columns)
                if "id" in columns:
                    await connection.execute(
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # nosec B608 # table names come from the app's models
                        f'(SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"), false)'
                    )
    finally:
        source.close()
        await connection.close()


# -- verifying --------------------------------------------------------------------------------------


async def verify(path: Path, identity_file: Path | None = None) -> dict[str, Any]:
    """Restore into a scratch database and compare its counts with the manifest's."""
    manifest, members = read_backup(path, identity_file)
    if manifest["engine"] == "sqlite":
        with tempfile.TemporaryDirectory(prefix="rinnalla-verify-") as work:
            copy = Path(work) / "verify.sqlite"
            copy.write_bytes(members["database.sqlite"])
            counts = _sqlite_facts(copy)[0]
    else:
        counts = await _verify_postgres(members)
    differences = {t: (n, counts.get(t)) for t, n in manifest["counts"].items() if counts.get(t) != n}
    return {"manifest": manifest, "counts": counts, "differences": differences}


async def _verify_postgres(members: dict[str, bytes]) -> dict[str, int]:
    import asyncpg

    config = postgres_config(get_settings().database_url)
    scratch = f"rinnalla_verify_{os.getpid()}"
    admin = await asyncpg.connect(**{**config, "database": "postgres"})
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{scratch}"')
        url = get_settings().database_url.rsplit("/", 1)[0] + "/" + scratch
        await restore_postgres_dump(members, url)
        connection = await asyncpg.connect(**postgres_config(url))
        try:
            existing = {
                r["tablename"]
                for r in await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            }
            return {t: await connection.fetchval(f'SELECT COUNT(*) FROM "{t}"') for t in _tables() if t in existing}  # nosec B608 # table names come from the app's models
        finally:
            await connection.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        await admin.close()
