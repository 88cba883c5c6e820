"""Piccolo app for release plans; its migrations live in the top-level migrations/ folder."""

from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

from server.settings import PROJECT_ROOT

APP_CONFIG = AppConfig(
    app_name="release",
    migrations_folder_path=str(Path(PROJECT_ROOT, "migrations", "release")),
    table_classes=table_finder(modules=["server.release.tables"], exclude_imported=True),
    migration_dependencies=["server.audit.piccolo_app"],
    commands=[],
)
