"""Piccolo app for push reminders; its migrations live in the top-level migrations/ folder."""

from piccolo.conf.apps import AppConfig, table_finder

from server.resources import migrations_folder

APP_CONFIG = AppConfig(
    app_name="push",
    migrations_folder_path=migrations_folder("push"),
    table_classes=table_finder(modules=["server.push.tables"], exclude_imported=True),
    migration_dependencies=["server.casework.piccolo_app"],
    commands=[],
)
