"""Piccolo app for the audit tables; its migrations live in the top-level migrations/ folder."""

from piccolo.conf.apps import AppConfig, table_finder

from server.resources import migrations_folder

APP_CONFIG = AppConfig(
    app_name="audit",
    migrations_folder_path=migrations_folder("audit"),
    table_classes=table_finder(modules=["server.audit.tables"], exclude_imported=True),
    migration_dependencies=["server.rhythm.piccolo_app"],
    commands=[],
)
