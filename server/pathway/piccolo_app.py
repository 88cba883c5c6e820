"""Piccolo app for the client's path (agreements, goals, reviews); migrations in migrations/pathway."""

from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

from server.settings import PROJECT_ROOT

APP_CONFIG = AppConfig(
    app_name="pathway",
    migrations_folder_path=str(Path(PROJECT_ROOT, "migrations", "pathway")),
    table_classes=table_finder(modules=["server.pathway.tables"], exclude_imported=True),
    migration_dependencies=["server.push.piccolo_app"],
    commands=[],
)
