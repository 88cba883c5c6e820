"""Debriefs, supervision sessions, hours with their fees, the rate table and each worker's terms.

Privacy is by table: a debrief's words (DebriefNote) are read only by the pair that wrote them,
and a worker's personal fee limit (FeeLimit) only by that worker. Money is integer cents.
"""

from __future__ import annotations

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.accounts.tables import Pair, Team, User
from server.casework.tables import Visit


class Debrief(Table, tablename="debrief"):
    """That a pair talked a shift through: the lead may see this row, never its notes."""

    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)

    team = ForeignKey(references=Team, index=True)
    pair = ForeignKey(references=Pair, null=True, index=True)
    owner = ForeignKey(references=User, help_text="Who started it; a worker without a pair debriefs alone.")
    occurred_at = Timestamptz(index=True)
    wants_lead_contact = Boolean(default=False, help_text="Someone asked to talk with the lead.")
    lead_contact_done_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class DebriefNote(Table, tablename="debrief_note"):
    """One partner's part of a debrief: the pair's alone."""

    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)

    debrief = ForeignKey(references=Debrief, index=True)
    author = ForeignKey(references=User)
    load = Integer(help_text="How heavy the shift felt, 1-5.")
    what_happened = Text(default="")
    what_helped = Text(default="")
    wants_lead_contact = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())


class Supervision(Table, tablename="supervision"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    user = ForeignKey(references=User, index=True)
    team = ForeignKey(references=Team, null=True, index=True)
    occurred_on = Date()
    kind = Varchar(length=16, help_text="group or individual")
    supervisor = Varchar(length=120, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class WorkerTerms(Table, tablename="worker_terms"):
    """How a worker is paid: set by a lead (payroll)."""

    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)

    user = ForeignKey(references=User, unique=True)
    pay_basis = Varchar(length=16, default="salary", help_text="salary, fee or volunteer")
    part_time_percent = Integer(default=100)
    started_on = Date(null=True, default=None, help_text="Start in this work: the first six months set the rhythm.")
    updated_at = Timestamptz(default=TimestamptzNow())


class FeeLimit(Table, tablename="fee_limit"):
    """A worker's own monthly fee limit (e.g. to keep benefits): nobody else ever reads it."""

    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)

    user = ForeignKey(references=User, unique=True)
    monthly_limit_cents = Integer(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class ActivityRate(Table, tablename="activity_rate"):
    """The organisation's euro-per-hour rate of an activity from a date on (Kokoa ry's by default)."""

    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)

    activity = Varchar(length=32, index=True)
    cents_per_hour = Integer()
    effective_from = Date()
    team = ForeignKey(
        references=Team,
        null=True,
        default=None,
        help_text="A team's own rate; empty: the organisation's default, set by an admin.",
    )
    created_by = ForeignKey(references=User, null=True)
    created_at = Timestamptz(default=TimestamptzNow())


class HoursEntry(Table, tablename="hours_entry"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    user = ForeignKey(references=User, index=True)
    team = ForeignKey(references=Team, null=True, index=True)
    worked_on = Date(index=True)
    activity = Varchar(length=32)
    minutes = Integer()
    visit = ForeignKey(references=Visit, null=True, default=None)
    cents_per_hour = Integer(default=0, help_text="The rate when it was logged: a later change never rewrites it.")
    fee_cents = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
