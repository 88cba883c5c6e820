"""Piccolo app for casework; its migrations live in the top-level migrations/ folder."""

from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

from server.settings import PROJECT_ROOT

APP_CONFIG = AppConfig(
    app_name="casework",
    migrations_folder_path=str(Path(PROJECT_ROOT, "migrations", "casework")),
    table_classes=table_finder(modules=["server.casework.tables"], exclude_imported=True),
    migration_dependencies=["server.accounts.piccolo_app"],
    commands=[],
)
