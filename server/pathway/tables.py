"""Tables of the client's path.

An agreement (sosiaalisen kuntoutuksen sopimus, or another support agreement) has a period and
1–5 goals in the client's own words; every change of a goal's status is kept (who, when, from,
to). A review (arviointi) scores fixed life areas 1–5 in an interview done with the client.
Every row carries `team`, so `server.scope.TeamScope` walls it like any client data.
"""

from __future__ import annotations

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.accounts.tables import Team, User
from server.casework.tables import Client
from server.push.tables import ReminderLink

AGREEMENT_KINDS = ("social_rehabilitation", "other_support")
AGREEMENT_STATUSES = ("active", "ended", "discontinued")
GOAL_STATUSES = ("open", "progressing", "reached", "dropped")
# The structured interview's life areas, in the order the pair goes through them.
REVIEW_AREAS = (
    "housing",
    "livelihood_debts",
    "substance_use",
    "mental_health",
    "physical_health",
    "daily_life",
    "relationships",
    "crime_free",
    "work_study",
    "services",
)


class Agreement(Table, tablename="path_agreement"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    team = ForeignKey(references=Team, index=True)
    client = ForeignKey(references=Client, index=True)
    kind = Varchar(length=32, default="social_rehabilitation")
    starts_on = Date()
    ends_on = Date()
    status = Varchar(length=16, default="active")
    created_by = ForeignKey(references=User, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Goal(Table, tablename="path_goal"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    team = ForeignKey(references=Team, index=True)
    client = ForeignKey(references=Client, index=True)
    agreement = ForeignKey(references=Agreement, index=True)
    position = Integer(default=1)
    text = Varchar(length=300, help_text="In the client's own words.")
    status = Varchar(length=16, default="open")
    updated_at = Timestamptz(default=TimestamptzNow())


class GoalChange(Table, tablename="path_goal_change"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    """One step of a goal's history; the first row (from "") is its setting."""

    team = ForeignKey(references=Team, index=True)
    goal = ForeignKey(references=Goal, index=True)
    changed_by = ForeignKey(references=User, null=True)
    changed_at = Timestamptz(default=TimestamptzNow())
    from_status = Varchar(length=16, default="")
    to_status = Varchar(length=16)


class Review(Table, tablename="path_review"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    team = ForeignKey(references=Team, index=True)
    client = ForeignKey(references=Client, index=True)
    held_on = Date()
    together = Boolean(default=True, help_text="Done together with the client (the model's rule).")
    notes = Text(default="")
    created_by = ForeignKey(references=User, null=True)
    created_at = Timestamptz(default=TimestamptzNow())


class ReviewScore(Table, tablename="path_review_score"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    review = ForeignKey(references=Review, index=True)
    area = Varchar(length=32)
    score = Integer()
    word = Varchar(length=80, default="", help_text="An optional word of the client's for the area.")


class PathSettings(Table, tablename="path_settings"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    """A team's review rhythm; a team without a row reviews every 3 months."""

    team = ForeignKey(references=Team, unique=True)
    review_every_months = Integer(default=3)
    updated_at = Timestamptz(default=TimestamptzNow())


class LinkSharing(Table, tablename="path_link_sharing"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    """The client's consent, given on their own link page, to see notes written together, goals and
    reviews there. No row (the default) means nothing of it is shown."""

    link = ForeignKey(references=ReminderLink, unique=True)
    team = ForeignKey(references=Team, index=True)
    shared_at = Timestamptz(null=True, default=None)
    changed_at = Timestamptz(default=TimestamptzNow())
