"""Piccolo app for the client's path (agreements, goals, reviews); migrations in migrations/pathway."""

from piccolo.conf.apps import AppConfig, table_finder

from server.resources import migrations_folder

APP_CONFIG = AppConfig(
    app_name="pathway",
    migrations_folder_path=migrations_folder("pathway"),
    table_classes=table_finder(modules=["server.pathway.tables"], exclude_imported=True),
    migration_dependencies=["server.push.piccolo_app"],
    commands=[],
)
