"""Referral.uuid: the id a phone made for a referral queued with no network, stored once."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import UUID
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T01:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "referral uuid"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="services", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Referral",
        tablename="referral",
        column_name="uuid",
        db_column_name="uuid",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": None,
            "null": True,
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
