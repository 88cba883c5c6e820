"""Indexes the dashboard's weekly and per-team counts use: a team's visits by time, and its
clients and follow-ups by state (at national scale a team is a small slice of each table).

A separate migration: Piccolo runs a migration's raw steps before its table changes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-23T19:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "dashboard indexes"

INDEXES = (
    'CREATE INDEX IF NOT EXISTS visit_team_time ON "visit" ("team", "occurred_at")',
    'CREATE INDEX IF NOT EXISTS client_team_status ON "client" ("team", "status")',
    'CREATE INDEX IF NOT EXISTS followup_team_open ON "followup" ("team", "done_at", "due_at")',
    'CREATE INDEX IF NOT EXISTS visit_client_time ON "visit" ("client", "occurred_at")',
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="dashboard", description=DESCRIPTION)

    async def create_indexes():
        from server.casework.tables import Visit

        for statement in INDEXES:
            await Visit.raw(statement)

    manager.add_raw(create_indexes)
    return manager
