"""Written by hand: invitations a lead makes on /team; only a hash of the link's token is kept."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class User(Table, tablename="app_user", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)


ID = "2026-12-06T01:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "invitations to set a password"


def _params(**overrides):
    return {"null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
            "choices": None, "db_column_name": None, "secret": False, **overrides}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)
    manager.add_table(class_name="Invitation", tablename="invitation", schema=None, columns=None)
    columns = (
        ("token_hash", Varchar, _params(length=64, default="", unique=True)),
        ("user", ForeignKey, _params(references=User, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade,
                                     target_column=None, null=True, index=True)),
        ("created_by", ForeignKey, _params(references=User, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade,
                                           target_column=None, null=True)),
        ("created_at", Timestamptz, _params(default=TimestamptzNow())),
        ("expires_at", Timestamptz, _params(default=TimestamptzNow())),
        ("used_at", Timestamptz, _params(default=None, null=True)),
    )
    for name, column_class, params in columns:
        manager.add_column(table_class_name="Invitation", tablename="invitation", column_name=name,
                           db_column_name=name, column_class_name=column_class.__name__, column_class=column_class,
                           params=params, schema=None)
    return manager
