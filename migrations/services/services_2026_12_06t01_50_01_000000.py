"""A referral's phone-made id is unique (many referrals have none: NULLs do not collide).

A separate migration: Piccolo runs a migration's raw steps before its column changes, and
SQLite cannot add a UNIQUE column, so the rule is an index.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-06T01:50:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "referral uuid unique"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="services", description=DESCRIPTION)

    async def unique_uuid():
        from server.services.tables import Referral

        await Referral.raw('CREATE UNIQUE INDEX IF NOT EXISTS referral_uuid ON "referral" ("uuid")')

    manager.add_raw(unique_uuid)
    return manager
