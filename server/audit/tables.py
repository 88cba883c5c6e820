"""The disclosure log, break-the-glass openings and purge runs.

The use log itself is the casework table `access_log` (it began as the log of client reads).
Both logs are hash-chained (`server.audit.chain`): each row carries the hash of the row before it.
"""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.accounts.tables import Team, User
from server.casework.tables import Client


class DisclosureLog(Table, tablename="disclosure_log"):
    """Client data that left the team: an export, a calendar, a referral to a service (luovutusloki)."""

    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)

    at = Timestamptz(default=TimestamptzNow(), index=True)
    user = ForeignKey(references=User, null=True)
    role = Varchar(length=32)
    team = ForeignKey(references=Team, null=True)
    client = ForeignKey(references=Client, index=True)
    recipient = Varchar(length=200, help_text="Who received it: a service's name, a calendar, a spreadsheet file.")
    basis = Varchar(length=32, help_text="The client's consent, the referral agreed with the client, a lead's export.")
    categories = Varchar(length=200, help_text="Which kinds of data, comma separated, e.g. identity,appointments.")
    what = Varchar(length=64)
    request_id = Varchar(length=64, default="")
    prev_hash = Varchar(length=64, default="")
    hash = Varchar(length=64, default="")


class GlassAccess(Table, tablename="glass_access"):
    """A worker opened another team's client with a reason (break-the-glass): read only, for a while."""

    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)

    user = ForeignKey(references=User, index=True)
    user_team = ForeignKey(references=Team, null=True)
    client = ForeignKey(references=Client, index=True)
    team = ForeignKey(references=Team, index=True, help_text="The client's team.")
    reason = Varchar(length=500)
    opened_at = Timestamptz(default=TimestamptzNow(), index=True)
    expires_at = Timestamptz()


class PurgeRun(Table, tablename="purge_run"):
    """One run of `rinnalla purge`: what went, and where the logs' hash chains now begin."""

    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)

    at = Timestamptz(default=TimestamptzNow())
    clients_purged = Integer(default=0)
    use_rows_purged = Integer(default=0)
    disclosure_rows_purged = Integer(default=0)
    use_log_anchor = Varchar(length=64, default="")
    disclosure_log_anchor = Varchar(length=64, default="")


class OrgSearch(Table, tablename="org_search"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    """A search of other teams' clients (break-the-glass): limited per user and day, and shown to
    the leads of the searching team. The name part typed is kept for them to judge."""

    at = Timestamptz(default=TimestamptzNow(), index=True)
    user = ForeignKey(references=User, index=True)
    team = ForeignKey(references=Team, null=True, index=True)
    query = Varchar(length=40)
    birth_year = Integer(null=True, default=None)
    results = Integer(default=0)
