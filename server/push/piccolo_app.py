"""Piccolo app for push reminders; its migrations live in the top-level migrations/ folder."""

from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

from server.settings import PROJECT_ROOT

APP_CONFIG = AppConfig(
    app_name="push",
    migrations_folder_path=str(Path(PROJECT_ROOT, "migrations", "push")),
    table_classes=table_finder(modules=["server.push.tables"], exclude_imported=True),
    migration_dependencies=["server.casework.piccolo_app"],
    commands=[],
)
