"""Fill Client.search_key for rows made before the column existed.

A separate migration: Piccolo runs a migration's raw steps before its column changes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-23T15:23:41:000000"
VERSION = "1.38.0"
DESCRIPTION = "fill search_key"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def fill_search_keys():
        import unicodedata

        from server.casework.tables import Client

        for row in await Client.select(Client.id, Client.pseudonym):
            key = unicodedata.normalize("NFC", row["pseudonym"]).casefold()[:80]
            await Client.update({Client.search_key: key}).where(Client.id == row["id"])

    manager.add_raw(fill_search_keys)
    return manager
