"""Piccolo app for accounts; its migrations live in the top-level migrations/ folder."""

from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

from server.settings import PROJECT_ROOT

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=str(Path(PROJECT_ROOT, "migrations", "accounts")),
    table_classes=table_finder(modules=["server.accounts.tables"], exclude_imported=True),
    migration_dependencies=[],
    commands=[],
)
