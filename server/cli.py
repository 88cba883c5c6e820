"""The `rinnalla` command. Every failure is one clear line on stderr and a non-zero exit."""

from __future__ import annotations

import asyncio
import functools
import getpass
import os
import secrets
import sys
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

import click

from server.settings import SettingsError, get_settings


class CommandError(click.ClickException):
    def show(self, file: Any = None) -> None:  # one line, no "Usage:" block
        click.echo(f"rinnalla: {self.message}", err=True)


def run_async(body: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    """Run a command's coroutine with the database open, and turn failures into one line."""

    @functools.wraps(body)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            get_settings()
            return asyncio.run(_with_database(body, *args, **kwargs))
        except click.ClickException:
            raise
        except Exception as exc:  # noqa: BLE001 - the operator gets a sentence, not a traceback
            raise CommandError(_describe(exc)) from exc

    return wrapper


async def _with_database(body: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
    from server.db.lifecycle import database
    from server.wiring import wire  # here, like every part: settings are checked before it loads

    wire()
    async with database():
        return await body(*args, **kwargs)


def _describe(exc: Exception) -> str:
    from server.accounts.services import AccountError
    from server.db.lifecycle import MigrationError
    from server.ops.backup import BackupError
    from server.ops.purge import RetentionError

    if isinstance(exc, (AccountError, SettingsError, MigrationError, BackupError, RetentionError)):
        return str(exc)
    if isinstance(exc, (ConnectionError, OSError)):
        return f"cannot reach the database ({type(exc).__name__}: {exc}); check DATABASE_URL"
    text = str(exc).splitlines()[0] if str(exc) else ""
    if "no such table" in text or "does not exist" in text:
        return f"the database schema is missing or old ({text}); run `rinnalla migrate` first"
    return f"{type(exc).__name__}: {text}"


@click.group()
def main() -> None:
    """Rinnalla: the work tool of street-outreach work pairs."""


@main.command()
@run_async
async def migrate() -> None:
    """Create or update the database schema."""
    from server.db.lifecycle import migrate as run_migrations
    from server.services.directory import load_national_services

    await run_migrations()
    counts = await load_national_services()  # every installation gets the national directory
    click.echo(
        "Database schema is up to date. National services: "
        f"{counts['added']} added, {counts['updated']} updated, {counts['retired']} retired."
    )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=lambda: int(os.environ.get("PORT", "8000")), type=int, show_default="8000 or $PORT")
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web app (run `rinnalla migrate` first)."""
    import uvicorn

    if not os.environ.get("BASE_URL"):
        # QR codes, .ics addresses and client links are absolute: without a BASE_URL they follow
        # the address served here (also for the worker processes, which inherit the environment).
        os.environ["BASE_URL"] = default_base_url(host, port)
        get_settings.cache_clear()
    _check_schema()
    settings = get_settings()
    click.echo(
        f"Rinnalla on {settings.base_url} ({'SQLite' if settings.is_sqlite else 'PostgreSQL'}, {settings.environment})"
    )
    uvicorn.run(
        "server.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        log_level="info",
        access_log=False,
        log_config=None,
    )


def default_base_url(host: str, port: int) -> str:
    """The address a phone can open for a server bound to host:port (loopback: localhost; all
    interfaces: this machine's address on the local network, so a QR code works on a phone)."""
    if host in {"0.0.0.0", "::", ""}:  # nosec B104 # names a URL, binds nothing
        host = _lan_address() or "localhost"
    elif host in {"127.0.0.1", "::1"}:
        host = "localhost"
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def _lan_address() -> str | None:
    """The local address of the default route; a UDP 'connect' sends no packet."""
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never reached, only routed
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


@run_async
async def _pending() -> int:
    from server.db.lifecycle import pending_migrations

    return await pending_migrations()


def _check_schema() -> None:
    if _pending():
        raise CommandError("the database schema is not up to date; run `rinnalla migrate` first")


@main.command()
@run_async
async def demo() -> None:
    """Fill the database with demo data (idempotent) and print the demo logins."""
    from server.demo import DEMO_PASSWORD, seed_demo

    if get_settings().is_production:
        raise CommandError("demo data is refused in production")
    logins = await seed_demo()
    click.echo("Demo logins (password for all: " + DEMO_PASSWORD + "):")
    for email, description in logins:
        click.echo(f"  {email:34} {description}")


@main.command()
def keys() -> None:
    """Print a new SECRET_KEY and VAPID_PRIVATE_KEY for the environment of a new installation.

    Give them to every web and worker process; a new VAPID key later silences every phone until
    it subscribes again, so keep these with the other secrets."""
    from server.push.vapid import new_private_key
    from server.settings import new_secret_key

    click.echo(f"SECRET_KEY={new_secret_key()}")
    click.echo(f"VAPID_PRIVATE_KEY={new_private_key()}")


@main.command()
@click.option("--deploy", is_flag=True, required=True, help="Check the settings for a production deployment.")
def check(deploy: bool) -> None:
    """List what is unsafe for production; exit non-zero if anything is."""
    from server.ops.checks import deploy_findings

    try:
        findings = deploy_findings(get_settings())
    except SettingsError as exc:
        raise CommandError(str(exc)) from exc
    for finding in findings:
        click.echo(f"! {finding}")
    if findings:
        raise CommandError(f"{len(findings)} problem(s) for a production deployment")
    click.echo("No problems found for a production deployment.")


@main.group()
def reminders() -> None:
    """Reminders (push)."""


@reminders.command("plan")
@run_async
async def reminders_plan() -> None:
    """Plan the reminders of every open client (after an upgrade or a bulk import; idempotent)."""
    from server.push.planner import plan_all_clients

    count = await plan_all_clients()
    click.echo(f"Reminders planned for {count} clients.")


@main.group()
def team() -> None:
    """Teams of the organisation."""


@team.command("add")
@click.argument("name")
@run_async
async def team_add(name: str) -> None:
    from server.accounts.services import add_team

    await add_team(name)
    click.echo(f"Team {name!r} added.")


@main.group()
def user() -> None:
    """User accounts."""


def _read_password(from_stdin: bool) -> tuple[str, bool]:
    """The password and whether it was generated (then it is printed once)."""
    if from_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            raise CommandError("--password-stdin was given but standard input was empty")
        return value, False
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password again: "):
            raise CommandError("the passwords differ")
        return first, False
    return secrets.token_urlsafe(12), True


@user.command("add")
@click.argument("email")
@click.option("--team", "team_name", default=None, help="Team name (not needed for an admin).")
@click.option("--role", required=True, type=click.Choice(["professional", "experience_expert", "lead", "admin"]))
@click.option("--name", "display_name", default="", help="Name shown to colleagues.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_add(email: str, team_name: str | None, role: str, display_name: str, password_stdin: bool) -> None:
    """Add a user account."""
    password, generated = _read_password(password_stdin)

    @run_async
    async def create() -> None:
        from server.accounts.services import add_user

        # A generated password was read by whoever ran this: the user replaces it at first login.
        await add_user(email, role, password, team_name, display_name, change_due=generated)

    create()
    click.echo(f"User {email.strip().lower()} added as {role}.")
    if generated:
        click.echo(f"Generated password (shown once; to be changed at the first login): {password}")


@user.command("disable")
@click.argument("email")
@run_async
async def user_disable(email: str) -> None:
    """Disable an account and end all its sessions."""
    from server.accounts.services import disable_user

    ended = await disable_user(email)
    click.echo(f"User {email.strip().lower()} disabled; {ended} session(s) ended.")


@user.command("logout")
@click.argument("email")
@click.option(
    "--wipe",
    is_flag=True,
    help="Also make each phone of the user delete its cached data and the "
    "visits still waiting on it (they are lost) on its next contact.",
)
@run_async
async def user_logout(email: str, wipe: bool) -> None:
    """End every session of a user (a lost phone): each device must log in again."""
    from server.accounts.services import log_out_everywhere

    ended = await log_out_everywhere(email, wipe=wipe)
    click.echo(
        f"{ended} session(s) of {email.strip().lower()} ended."
        + (" Their phones delete their data on their next contact." if wipe else "")
    )


@main.group()
def audit() -> None:
    """The use and disclosure logs (asiakastietolaki 703/2023)."""


@audit.command("verify")
@run_async
async def audit_verify() -> None:
    """Check the hash chains of both logs; exit 1 naming the first broken row."""
    from server.audit.chain import verify
    from server.audit.tables import DisclosureLog
    from server.casework.tables import AccessLog

    broken = False
    for name, table in (("use log", AccessLog), ("disclosure log", DisclosureLog)):
        verdict = await verify(table)
        if verdict.intact:
            click.echo(f"{name}: {verdict.rows} rows, chain intact, head {verdict.head}")
        else:
            broken = True
            click.echo(
                f"{name}: chain broken at row {verdict.first_broken_id} (the {verdict.rows} rows before it are intact)",
                err=True,
            )
    if broken:
        raise SystemExit(1)


@audit.command("report")
@click.argument("client_id", type=int)
@click.option("--from", "start", default="", help="First day, YYYY-MM-DD (default two years back).")
@click.option("--to", "end", default="", help="Last day, YYYY-MM-DD (default today).")
@run_async
async def audit_report(client_id: int, start: str, end: str) -> None:
    """A client's log report (section 11) as JSON: who processed the data, what was disclosed."""
    import json

    from server.audit.report import log_report, read_period, report_json
    from server.audit.uselog import log_system_use
    from server.casework.tables import Client
    from server.validation import InvalidInput

    client = await Client.select(Client.id, Client.team).where(Client.id == client_id).first()
    if client is None:
        raise CommandError(f"no client with id {client_id}")
    try:
        period = read_period(start, end)
    except InvalidInput as problem:
        raise CommandError("; ".join(f"--{name}: {message}" for name, message in problem.errors.items())) from None
    await log_system_use(client_id, client["team"], "cli_log_report")
    click.echo(json.dumps(report_json(await log_report(client_id, period)), default=str, ensure_ascii=False, indent=2))


@main.command()
@click.option("--dry-run", is_flag=True, help="Only list what would go.")
@run_async
async def purge(dry_run: bool) -> None:
    """Remove clients closed longer than CLIENT_RETENTION_YEARS and log rows older than LOG_RETENTION_YEARS."""
    from server.ops import purge as retention

    plan = await (retention.plan_purge() if dry_run else retention.purge())
    verb = "Would purge" if dry_run else "Purged"
    click.echo(
        f"{verb} {len(plan.clients)} client(s) closed before {plan.client_cutoff}, "
        f"{plan.use_rows} use log row(s) and {plan.disclosure_rows} disclosure log row(s) "
        f"from before {plan.log_cutoff.date() if plan.log_cutoff else ''}."
    )
    for client in plan.clients:
        click.echo(f"  client {client['id']} (team {client['team']}), closed {client['status_changed_on']}")


@user.command("reset-second-factor")
@click.argument("email")
@run_async
async def user_reset_second_factor(email: str) -> None:
    """Forget a user's second factor and recovery codes (phone and codes both lost), and end their
    sessions; a role that needs one sets up a new one at the next login."""
    from server.accounts.second_factor import disable
    from server.accounts.services import AccountError, user_by_email
    from server.accounts.sessions import revoke_sessions

    found = await user_by_email(email)
    if found is None:
        raise AccountError(f"No user {email.strip().lower()}")
    await disable(found["id"])
    ended = await revoke_sessions(found["id"])
    click.echo(f"Second factor of {email.strip().lower()} removed; {ended} session(s) ended.")


@main.group()
def pair() -> None:
    """Work pairs."""


@pair.command("add")
@click.argument("first_email")
@click.argument("second_email")
@run_async
async def pair_add(first_email: str, second_email: str) -> None:
    from server.accounts.services import add_pair

    await add_pair(first_email, second_email)
    click.echo(f"Pair added: {first_email.strip().lower()} + {second_email.strip().lower()}.")


@main.command()
@click.option("--once", is_flag=True, help="Send what is due, do the housekeeping, and exit.")
def worker(once: bool) -> None:
    """The reminder dispatcher and housekeeping (the Procfile's worker)."""
    from server.worker import run_worker

    _check_schema()
    try:
        asyncio.run(run_worker(once=once))
    except Exception as exc:  # noqa: BLE001
        raise CommandError(_describe(exc)) from exc


def run_plain(body: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> Any:
    """A command that opens the database itself (or must not have it open): failures as one line."""
    try:
        get_settings()
        return asyncio.run(body(*args))
    except click.ClickException:
        raise
    except Exception as exc:  # noqa: BLE001
        raise CommandError(_describe(exc)) from exc


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--verify", is_flag=True, help="Restore PATH into a scratch database and compare its counts.")
@click.option("--to", "recipient", default=None, help="Encrypt to this age recipient (age1...).")
@click.option(
    "--identity",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="With --verify: the age identity file of an encrypted backup.",
)
def backup(path: Path, verify: bool, recipient: str | None, identity: Path | None) -> None:
    """Write a consistent backup to PATH while the app runs (or check one with --verify)."""
    from server.ops import backup as ops

    if verify:
        result = run_plain(ops.verify, path, identity)
        manifest = result["manifest"]
        if result["differences"]:
            table, (expected, found) = next(iter(result["differences"].items()))
            raise CommandError(f"the restored copy differs: {table} has {found} rows, the manifest says {expected}")
        click.echo(
            f"Backup of {manifest['created_at']} ({manifest['engine']}, Rinnalla {manifest['version']}) "
            f"restores: {sum(result['counts'].values())} rows in {len(result['counts'])} tables, as recorded."
        )
        return
    manifest = run_plain(ops.backup, path, recipient)
    click.echo(
        f"Backup written to {path}: {sum(manifest['counts'].values())} rows in {len(manifest['counts'])} "
        f"tables{', encrypted' if recipient else ''}."
    )


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--identity",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The age identity file of an encrypted backup.",
)
def restore(path: Path, identity: Path | None) -> None:
    """Restore a backup into this empty installation (DATABASE_URL, DATA_DIR), then migrate forward."""
    from server.ops import backup as ops

    counts = run_plain(_restore, ops, path, identity)
    click.echo(f"Restored {sum(counts.values())} rows in {len(counts)} tables; the schema is up to date.")


async def _restore(ops: Any, path: Path, identity: Path | None) -> dict[str, int]:
    from server.db.lifecycle import database, migrate

    settings = get_settings()
    manifest, members = ops.read_backup(path, identity)
    if settings.is_sqlite:
        if manifest["engine"] != "sqlite":
            raise ops.BackupError("a PostgreSQL backup restores into PostgreSQL only (set DATABASE_URL)")
        if not ops.sqlite_is_empty(settings.sqlite_path):
            raise ops.BackupError("this installation is not empty: restore into an empty one")
        ops.restore_keys(members, settings.data_dir)
        ops.restore_sqlite_file(members, settings.sqlite_path)
    else:
        if not await ops.postgres_is_empty(settings.database_url):
            raise ops.BackupError("this installation is not empty: restore into an empty one")
        ops.restore_keys(members, settings.data_dir)
        if manifest["engine"] == "postgresql":
            await ops.restore_postgres_dump(members, settings.database_url)
        else:
            await _sqlite_backup_into_postgres(ops, members)
    async with database():
        await migrate()  # an older backup comes forward to this version's schema
    verified = ops.sqlite_counts(settings.sqlite_path) if settings.is_sqlite else None
    return verified or manifest["counts"]


async def _sqlite_backup_into_postgres(ops: Any, members: dict[str, bytes]) -> None:
    """From one machine to a county's server: the SQLite copy is migrated to this version's
    schema on the side, the PostgreSQL database is migrated too, then rows are copied over."""
    import subprocess
    import tempfile

    from server.db.lifecycle import database, migrate

    with tempfile.TemporaryDirectory(prefix="rinnalla-restore-") as work:
        copy = Path(work) / "copy.sqlite"
        copy.write_bytes(members["database.sqlite"])
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{copy}", "DATA_DIR": work}
        done = subprocess.run([sys.executable, "-m", "server.cli", "migrate"], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise ops.BackupError(f"migrating the SQLite copy failed: {done.stderr.strip()}")
        async with database():
            await migrate()
        await ops.copy_sqlite_into_postgres(copy, get_settings().database_url)


if __name__ == "__main__":
    main()
