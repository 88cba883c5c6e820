"""The use log becomes a chain, and both logs append-only.

Rows written before the chain existed get their hashes now, in id order. Then triggers refuse
any UPDATE of the logs, and on PostgreSQL any DELETE that is not `rinnalla purge` (which sets
`rinnalla.log_purge` for its own transaction). Together with the grants in SECURITY.md the app's
role can only insert and read them. A separate migration: raw steps run before table changes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-23T22:36:40:000000"
VERSION = "1.38.0"
DESCRIPTION = "chained, append-only logs"

POSTGRES_GUARD = """
CREATE OR REPLACE FUNCTION rinnalla_log_append_only() RETURNS trigger AS $guard$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('rinnalla.log_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the % is append-only', TG_TABLE_NAME;
END
$guard$ LANGUAGE plpgsql
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="audit", description=DESCRIPTION)

    async def chain_old_rows():
        from server.audit.chain import CHAINED_COLUMNS, GENESIS, link_hash
        from server.casework.tables import AccessLog

        columns = [AccessLog._meta.get_column_by_name(name) for name in ("id", *CHAINED_COLUMNS["access_log"])]
        previous = GENESIS
        for row in await AccessLog.select(*columns).order_by(AccessLog.id):
            this_hash = link_hash(AccessLog, previous, row)
            await AccessLog.update({AccessLog.prev_hash: previous, AccessLog.hash: this_hash}).where(
                AccessLog.id == row["id"])
            previous = this_hash

    async def append_only():
        from server.casework.tables import AccessLog

        if AccessLog._meta.db.engine_type == "sqlite":
            for table in ("access_log", "disclosure_log"):
                await AccessLog.raw(f'CREATE TRIGGER IF NOT EXISTS "{table}_no_update" BEFORE UPDATE ON "{table}" '
                                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
            return
        await AccessLog.raw(POSTGRES_GUARD)
        for table in ("access_log", "disclosure_log"):
            await AccessLog.raw(f'DROP TRIGGER IF EXISTS "{table}_append_only" ON "{table}"')
            await AccessLog.raw(f'CREATE TRIGGER "{table}_append_only" BEFORE UPDATE OR DELETE ON "{table}" '
                                "FOR EACH ROW EXECUTE FUNCTION rinnalla_log_append_only()")

    manager.add_raw(chain_old_rows)
    manager.add_raw(append_only)
    return manager
