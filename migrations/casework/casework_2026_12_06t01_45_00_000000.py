"""Written by hand: a version on clients, follow-ups and appointments, so that two workers' saves
never overwrite each other (server/db/versions.py). Existing rows start at version 1."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T01:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "version columns for edits that never overwrite each other"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)
    for class_name, tablename in (("Client", "client"), ("FollowUp", "followup"), ("Appointment", "appointment")):
        manager.add_column(
            table_class_name=class_name,
            tablename=tablename,
            column_name="version",
            db_column_name="version",
            column_class_name="Integer",
            column_class=Integer,
            params={
                "default": 1,
                "null": False,
                "primary_key": False,
                "unique": False,
                "index": False,
                "index_method": IndexMethod.btree,
                "choices": None,
                "db_column_name": None,
                "secret": False,
            },
            schema=None,
        )
    return manager
