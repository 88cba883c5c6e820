"""Tables of the service directory.

National services come with the app (server/services/national_services.json) and are matched
by their stable `key` when `rinnalla migrate` loads them again; local services (no key) are
the organisation's own, added by leads and admins.
"""

from __future__ import annotations

from piccolo.columns import UUID, Boolean, Date, ForeignKey, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.accounts.tables import Team, User
from server.casework.tables import Client, FollowUp, Visit

CATEGORIES = (
    "housing",
    "substances",
    "mental_health",
    "benefits",
    "debt",
    "criminal_sanctions",
    "health",
    "employment",
    "crisis",
    "food_and_shelter",
    "peer_support",
    "youth",
)


class Service(Table, tablename="service"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    key = Varchar(length=80, null=True, default=None, unique=True, help_text="Stable id of a national service.")
    name_fi = Varchar(length=200)
    name_sv = Varchar(length=200, default="")
    name_en = Varchar(length=200, default="")
    category = Varchar(length=30, index=True)
    phone = Varchar(length=40, default="")
    phone_note_fi = Text(default="")
    phone_note_sv = Text(default="")
    phone_note_en = Text(default="")
    web = Varchar(length=300, default="")
    street_address = Varchar(length=200, default="")
    municipality = Varchar(length=100, default="")
    opening_hours_fi = Text(default="")
    opening_hours_sv = Text(default="")
    opening_hours_en = Text(default="")
    languages = Varchar(length=50, default="", help_text="Comma-separated language codes served.")
    description_fi = Text(default="")
    description_sv = Text(default="")
    description_en = Text(default="")
    quick_link = Boolean(default=False)
    source = Text(default="", help_text="Where the facts were read, with dates.")
    confidence = Varchar(length=20, default="")
    verify = Text(default="", help_text="What to check before relying on it.")
    active = Boolean(default=True)
    created_by = ForeignKey(references=User, null=True, default=None)
    team = ForeignKey(
        references=Team,
        null=True,
        default=None,
        help_text="The team that added a local service (only its leads or an admin retire it).",
    )
    updated_at = Timestamptz(default=TimestamptzNow())


REFERRAL_STATUSES = ("referred", "contacted", "attended", "not_attended", "cancelled")
OUTCOMES = ("attended", "not_attended", "cancelled")


class Referral(Table, tablename="referral"):
    """A client guided to a service; it counts once the client got there (status `attended`)."""

    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)

    uuid = UUID(
        null=True,
        default=None,
        help_text="Made on the phone for a referral queued offline; unique "
        "(index referral_uuid): a replay of the same id stores nothing new.",
    )
    team = ForeignKey(references=Team, index=True)
    client = ForeignKey(references=Client, index=True)
    service = ForeignKey(references=Service)
    visit = ForeignKey(references=Visit, null=True, default=None)
    followup = ForeignKey(
        references=FollowUp,
        null=True,
        default=None,
        help_text="The automatic 'did the client get there?' a week later.",
    )
    note = Varchar(length=500, default="")
    status = Varchar(length=20, default="referred", index=True)
    referred_on = Date()
    contacted_on = Date(null=True, default=None)
    closed_on = Date(null=True, default=None)
    created_by = ForeignKey(references=User)
    created_at = Timestamptz(default=TimestamptzNow())
