"""Piccolo app for the service directory and referrals; migrations in migrations/services."""

from piccolo.conf.apps import AppConfig, table_finder

from server.resources import migrations_folder

APP_CONFIG = AppConfig(
    app_name="services",
    migrations_folder_path=migrations_folder("services"),
    table_classes=table_finder(modules=["server.services.tables"], exclude_imported=True),
    migration_dependencies=["server.casework.piccolo_app"],
    commands=[],
)
