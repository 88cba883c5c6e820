"""One row per (client, item): the unique index the release plan's upsert names as its target.

A separate migration: Piccolo runs a migration's raw steps before its table changes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-06T01:43:20:000000"
VERSION = "1.38.0"
DESCRIPTION = "release plan item unique per client"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="release", description=DESCRIPTION)

    async def create_index():
        from server.release.tables import ReleasePlanItem

        await ReleasePlanItem.raw(
            'CREATE UNIQUE INDEX IF NOT EXISTS release_plan_item_client_item ON "release_plan_item" ("client", "item")')

    manager.add_raw(create_index)
    return manager
