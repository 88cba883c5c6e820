"""The dispatcher's claim index: due reminders by state and time, whatever piles up as sent.

A separate migration: Piccolo runs a migration's raw steps before its table changes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-23T19:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "reminder claim index"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="push", description=DESCRIPTION)

    async def claim_index():
        from server.push.tables import Reminder

        await Reminder.raw('CREATE INDEX IF NOT EXISTS reminder_claim ON "reminder" ("state", "next_attempt_at")')

    manager.add_raw(claim_index)
    return manager
