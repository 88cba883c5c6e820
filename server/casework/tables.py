"""Clients, visits (kohtaamiset), follow-ups, appointments and the use log of client data.

Every row of team data carries `team`: `server.scope.TeamScope` filters on it, so a query of
another team's rows cannot be written by accident.
"""

from __future__ import annotations

from enum import Enum

from piccolo.columns import UUID, Boolean, Date, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.accounts.tables import Pair, Team, User

THEMES = (
    "housing",
    "finances",
    "substances",
    "gambling",
    "crime",
    "mental_health",
    "independent_living",
    "learning",
    "authorities",
    "peer_support",
    "employment",
    "health",
)


class ClientStatus(str, Enum):
    active = "active"
    paused = "paused"
    closed = "closed"


class CameFrom(str, Enum):
    prison = "prison"
    probation_office = "probation_office"
    adult_social_work = "adult_social_work"
    substance_services = "substance_services"
    street = "street"
    self_referral = "self"


class ReleaseType(str, Enum):
    none = ""
    full_release = "full_release"
    supervised_probationary_freedom = "supervised_probationary_freedom"
    parole = "parole"


class VisitKind(str, Enum):
    street = "street"
    office = "office"
    home = "home"
    prison = "prison"
    accompanying = "accompanying"
    remote = "remote"
    group = "group"  # ryhmätoiminta: several known clients (VisitAttendee) and people not named
    network_meeting = "network_meeting"  # verkostopalaveri: with the client present (VisitMeeting)


VISIT_ACTIONS = ("peer_support", "service_guidance", "accompanying", "practical_help", "crisis")


class Client(Table, tablename="client"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    team = ForeignKey(references=Team, index=True)
    pair = ForeignKey(references=Pair, null=True, index=True)
    pseudonym = Varchar(length=80, help_text="The name used in the street; required.")
    search_key = Varchar(length=80, default="", help_text="The pseudonym case-folded, for search on any database.")
    legal_name = Varchar(length=160, default="")
    birth_year = Integer(null=True, default=None)
    phone = Varchar(length=40, default="")
    status = Varchar(length=16, choices=ClientStatus, default=ClientStatus.active.value)
    started_on = Date()
    status_changed_on = Date()
    came_from = Varchar(length=32, choices=CameFrom, default=CameFrom.street.value)
    institution = Varchar(length=120, default="", help_text="Prison, while the client is inside.")
    release_date = Date(null=True, default=None)
    release_type = Varchar(length=40, choices=ReleaseType, default="")
    consent_reminders_at = Timestamptz(null=True, default=None)
    consent_reminders_by = ForeignKey(references=User, null=True)
    consent_data_at = Timestamptz(null=True, default=None)
    consent_data_by = ForeignKey(references=User, null=True)
    created_by = ForeignKey(references=User, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1, help_text="Bumped by every change; a save based on an older one is refused.")


class ClientTheme(Table, tablename="client_theme"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    client = ForeignKey(references=Client, index=True)
    theme = Varchar(length=32)


class Visit(Table, tablename="visit"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    uuid = UUID(unique=True, help_text="Made on the device; a replay of the same id stores nothing new.")
    team = ForeignKey(references=Team, index=True)
    client = ForeignKey(references=Client, null=True, index=True)
    anonymous_count = Integer(default=0)
    occurred_at = Timestamptz(index=True)
    place = Varchar(length=200, default="")
    kind = Varchar(length=16, choices=VisitKind, default=VisitKind.street.value)
    notes = Text(default="")
    together_with_client = Boolean(default=False)
    created_by = ForeignKey(references=User)
    received_at = Timestamptz(default=TimestamptzNow())


class VisitWorker(Table, tablename="visit_worker"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    visit = ForeignKey(references=Visit, index=True)
    user = ForeignKey(references=User, index=True)


class VisitTheme(Table, tablename="visit_theme"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    visit = ForeignKey(references=Visit, index=True)
    theme = Varchar(length=32)


class VisitAction(Table, tablename="visit_action"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    visit = ForeignKey(references=Visit, index=True)
    action = Varchar(length=32)


class VisitAttendee(Table, tablename="visit_attendee"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    """A known client at a group visit: the visit shows in each attendee's timeline (its own
    `client` is empty). Carries the team so the walls filter it like every team row."""

    visit = ForeignKey(references=Visit, index=True)
    client = ForeignKey(references=Client, index=True)
    team = ForeignKey(references=Team, index=True)


class VisitMeeting(Table, tablename="visit_meeting"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    """What a network meeting adds to its visit: the other parties and whether the client was there."""

    visit = ForeignKey(references=Visit, unique=True)
    parties = Varchar(length=300, default="", help_text="Organisations or roles; no names needed.")
    client_present = Boolean(default=True)


class FollowUp(Table, tablename="followup"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    team = ForeignKey(references=Team, index=True)
    client = ForeignKey(references=Client, index=True)
    pair = ForeignKey(references=Pair, null=True)
    visit = ForeignKey(references=Visit, null=True)
    due_at = Timestamptz(index=True)
    note = Text(default="")
    done_at = Timestamptz(null=True, default=None)
    done_by = ForeignKey(references=User, null=True)
    created_by = ForeignKey(references=User, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1, help_text="Bumped by every change (server/db/versions.py).")


class Appointment(Table, tablename="appointment"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    team = ForeignKey(references=Team, index=True)
    client = ForeignKey(references=Client, index=True)
    pair = ForeignKey(references=Pair, null=True)
    starts_at = Timestamptz(index=True)
    place = Varchar(length=200, default="")
    with_whom = Varchar(length=200, default="")
    remind_client = Boolean(default=False)
    note = Text(default="")
    cancelled_at = Timestamptz(null=True, default=None)
    created_by = ForeignKey(references=User, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1, help_text="Bumped by every change (server/db/versions.py).")


class AccessLog(Table, tablename="access_log"):
    """The use log (käyttöloki): one row for every read and write of a client's data, and every
    refused attempt at one. Append-only and hash-chained (`server.audit.chain`); never a note's text."""

    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)

    at = Timestamptz(default=TimestamptzNow(), index=True)
    user = ForeignKey(references=User, null=True, help_text="Empty for the command line.")
    role = Varchar(length=32)
    team = ForeignKey(references=Team, null=True)
    client = ForeignKey(references=Client, index=True)
    action = Varchar(length=16, default="read", help_text="read, create, update, delete, search or export.")
    what = Varchar(length=64, help_text="Which view or API read it, e.g. client_page.")
    object = Varchar(length=48, default="client", help_text="What of the client's, e.g. client or visit:12.")
    basis = Varchar(length=16, default="team", help_text="team (own team's client), break_glass or system.")
    reason = Varchar(length=500, default="", help_text="The break-the-glass reason, when that is the basis.")
    request_id = Varchar(length=64, default="")
    session = Integer(null=True, default=None, help_text="The user's session row (not its token).")
    outcome = Varchar(length=8, default="ok", help_text="ok or denied.")
    prev_hash = Varchar(length=64, default="")
    hash = Varchar(length=64, default="")


class CalendarFeed(Table, tablename="calendar_feed"):
    """A worker's private calendar address; only the token's hash is kept, and it can be revoked."""

    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)

    user = ForeignKey(references=User, index=True)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)
