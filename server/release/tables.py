"""One row per item of a client's release plan; an item with no row is still to do."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.accounts.tables import Team, User
from server.casework.tables import Client


class ReleasePlanItem(Table, tablename="release_plan_item"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    """Unique per (client, item): the migration adds the index that the upsert relies on."""

    team = ForeignKey(references=Team, index=True)
    client = ForeignKey(references=Client, index=True)
    item = Varchar(
        length=24, help_text="housing, livelihood, id_card, bank_account, care, probation_office, gate, first_meeting"
    )
    state = Varchar(length=12, default="todo", help_text="todo, done or not_needed.")
    who_user = ForeignKey(references=User, null=True, help_text="A member of the pair who sees to it.")
    who_text = Varchar(length=120, default="", help_text="Or who else, e.g. Kriminaalihuollon tukisäätiö.")
    updated_by = ForeignKey(references=User, null=True)
    updated_at = Timestamptz(default=TimestamptzNow())
