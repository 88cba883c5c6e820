"""Piccolo app for the dashboard; its migrations live in the top-level migrations/ folder."""

from piccolo.conf.apps import AppConfig, table_finder

from server.resources import migrations_folder

APP_CONFIG = AppConfig(
    app_name="dashboard",
    migrations_folder_path=migrations_folder("dashboard"),
    table_classes=table_finder(modules=["server.dashboard.tables"], exclude_imported=True),
    migration_dependencies=["server.push.piccolo_app"],
    commands=[],
)
