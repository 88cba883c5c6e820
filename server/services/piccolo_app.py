"""Piccolo app for the service directory and referrals; migrations in migrations/services."""

from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

from server.settings import PROJECT_ROOT

APP_CONFIG = AppConfig(
    app_name="services",
    migrations_folder_path=str(Path(PROJECT_ROOT, "migrations", "services")),
    table_classes=table_finder(modules=["server.services.tables"], exclude_imported=True),
    migration_dependencies=["server.casework.piccolo_app"],
    commands=[],
)
