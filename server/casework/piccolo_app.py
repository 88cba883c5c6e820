"""Piccolo app for casework; its migrations live in the top-level migrations/ folder."""

from piccolo.conf.apps import AppConfig, table_finder

from server.resources import migrations_folder

APP_CONFIG = AppConfig(
    app_name="casework",
    migrations_folder_path=migrations_folder("casework"),
    table_classes=table_finder(modules=["server.casework.tables"], exclude_imported=True),
    migration_dependencies=["server.accounts.piccolo_app"],
    commands=[],
)
