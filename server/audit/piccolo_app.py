"""Piccolo app for the audit tables; its migrations live in the top-level migrations/ folder."""

from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

from server.settings import PROJECT_ROOT

APP_CONFIG = AppConfig(
    app_name="audit",
    migrations_folder_path=str(Path(PROJECT_ROOT, "migrations", "audit")),
    table_classes=table_finder(modules=["server.audit.tables"], exclude_imported=True),
    migration_dependencies=["server.rhythm.piccolo_app"],
    commands=[],
)
