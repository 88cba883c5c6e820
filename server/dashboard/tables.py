"""A team's caseload target: what a sane load per pair is, and when a client counts as out of touch."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, Serial, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.accounts.tables import Team


class CaseloadTarget(Table, tablename="caseload_target"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    team = ForeignKey(references=Team, unique=True)
    low = Integer(default=20, help_text="Active clients per pair: fewer is a light load.")
    high = Integer(default=30, help_text="More is too many.")
    no_contact_days = Integer(default=30, help_text="An active client not met for this long is out of touch.")
    updated_at = Timestamptz(default=TimestamptzNow())
