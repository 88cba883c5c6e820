"""Piccolo app for the dashboard; its migrations live in the top-level migrations/ folder."""

from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

from server.settings import PROJECT_ROOT

APP_CONFIG = AppConfig(
    app_name="dashboard",
    migrations_folder_path=str(Path(PROJECT_ROOT, "migrations", "dashboard")),
    table_classes=table_finder(modules=["server.dashboard.tables"], exclude_imported=True),
    migration_dependencies=["server.push.piccolo_app"],
    commands=[],
)
