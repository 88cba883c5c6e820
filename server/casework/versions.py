"""Edits that never overwrite each other: a `version` column on rows two workers may both change.

A save names the version it was based on. The write is one statement,
`UPDATE … SET …, version = version + 1 WHERE id = ? AND version = ?`, so the check and the write
cannot be separated by another save; zero rows changed means someone else saved first, and the
caller gets `StaleVersion` (run it first inside the transaction of the whole save, so everything
else the save does rolls back with it). The API answers 409 with the current row
(`conflict_response`); the HTML form shows both values side by side (server/casework/conflicts.py).

Used for clients, follow-ups and appointments; any table with an Integer `version` column
(default 1) can use it the same way.
"""

from __future__ import annotations

from typing import Any

from litestar import Response
from piccolo.custom_types import Combinable
from piccolo.table import Table

from server.i18n import N_
from server.validation import Reader

MAX_VERSION = 2**31 - 1


class StaleVersion(Exception):
    """The row changed after the version the writer saw; nothing was written."""

    def __init__(self, row_id: int):
        super().__init__(f"stale version of row {row_id}")
        self.row_id = row_id


def read_version(raw: dict[str, Any], required: bool = True) -> int | None:
    """The `version` a save is based on; a missing one is a field error (422) when `required`."""
    reader = Reader(raw)
    version = reader.integer("version", 1, MAX_VERSION)
    if required and version is None and "version" not in reader.errors:
        reader.fail("version", N_("This field is required."))
    reader.done()
    return version


async def write_if_current(
    table: type[Table], row_id: int, version: int | None, values: dict[Any, Any], condition: Combinable | None = None
) -> int:
    """Write `values` and bump the version, only if the row is still at `version` (None: write
    whatever the version is, for changes that cannot overwrite anything, such as ticking a
    follow-up done). Returns the new version, or raises StaleVersion."""
    column = table.version  # type: ignore[attr-defined]
    where: Combinable = table._meta.primary_key == row_id
    if version is not None:
        where &= column == version
    if condition is not None:
        where &= condition
    rows = await table.update({**values, column: column + 1}).where(where).returning(column)
    if not rows:
        raise StaleVersion(row_id)
    return rows[0]["version"]


def conflict_response(current: dict[str, Any]) -> Response:
    """409 for the API: nothing was written; `current` is the row as it is now (with its version),
    so the caller can show both values and send its choice with the current version."""
    return Response(
        {
            "status_code": 409,
            "detail": "Changed by someone else since you read it; nothing was saved",
            "current": current,
        },
        status_code=409,
    )
