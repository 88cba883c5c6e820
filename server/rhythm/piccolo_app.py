"""Piccolo app for the pair's rhythm; its migrations live in the top-level migrations/ folder."""

from piccolo.conf.apps import AppConfig, table_finder

from server.resources import migrations_folder

APP_CONFIG = AppConfig(
    app_name="rhythm",
    migrations_folder_path=migrations_folder("rhythm"),
    table_classes=table_finder(modules=["server.rhythm.tables"], exclude_imported=True),
    migration_dependencies=["server.dashboard.piccolo_app"],
    commands=[],
)
