"""Piccolo app for accounts; its migrations live in the top-level migrations/ folder."""

from piccolo.conf.apps import AppConfig, table_finder

from server.resources import migrations_folder

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=migrations_folder("accounts"),
    table_classes=table_finder(modules=["server.accounts.tables"], exclude_imported=True),
    migration_dependencies=[],
    commands=[],
)
