"""Local services added before they had a team: each belongs to the team of the lead who added it.

A separate migration: Piccolo runs a migration's raw steps before its table changes, and the
column comes in the one before.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-06T01:49:11:000000"
VERSION = "1.38.0"
DESCRIPTION = "local services: the adder's team"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="services", description=DESCRIPTION)

    async def owning_team():
        from server.services.tables import Service

        await Service.raw('UPDATE "service" SET "team" = (SELECT "team" FROM "app_user" '
                          'WHERE "app_user"."id" = "service"."created_by") '
                          'WHERE "key" IS NULL AND "team" IS NULL AND "created_by" IS NOT NULL')

    manager.add_raw(owning_team)
    return manager
