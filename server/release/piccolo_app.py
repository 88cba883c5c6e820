"""Piccolo app for release plans; its migrations live in the top-level migrations/ folder."""

from piccolo.conf.apps import AppConfig, table_finder

from server.resources import migrations_folder

APP_CONFIG = AppConfig(
    app_name="release",
    migrations_folder_path=migrations_folder("release"),
    table_classes=table_finder(modules=["server.release.tables"], exclude_imported=True),
    migration_dependencies=["server.audit.piccolo_app"],
    commands=[],
)
