"""Phones that take pushes, the client reminder links, team reminder rules and the reminder outbox.

A reminder row is planned from the casework (server.push.planner) under a unique dedupe key, so
planning twice makes nothing twice; the dispatcher (server.push.dispatcher) claims due rows with
a lease and records each phone it reached in ReminderDelivery, so a retry never repeats a phone.
"""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.accounts.tables import Team, User
from server.casework.tables import Client


class ReminderLink(Table, tablename="reminder_link"):
    """A client's own link (no account): only the token's hash is kept; revocable."""

    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)

    client = ForeignKey(references=Client, index=True)
    team = ForeignKey(references=Team, index=True)
    token_hash = Varchar(length=64, unique=True)
    language = Varchar(length=8, default="fi")
    created_by = ForeignKey(references=User, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)


class PushSubscription(Table, tablename="push_subscription"):
    """One browser's push subscription: a worker's phone (user) or a client's (link)."""

    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)

    endpoint = Varchar(length=1024, unique=True, help_text="Never logged: it identifies the phone.")
    p256dh = Varchar(length=128)
    auth = Varchar(length=64)
    user = ForeignKey(references=User, null=True, index=True)
    session_id = Integer(
        null=True,
        default=None,
        index=True,
        help_text="The worker's session that saved it: ending the session stops the phone's pushes.",
    )
    link = ForeignKey(references=ReminderLink, null=True, index=True)
    vapid_key = Varchar(length=100, help_text="The public key it was made for; another one means subscribe again.")
    device = Varchar(length=120, default="")
    language = Varchar(length=8, default="fi")
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    last_success_at = Timestamptz(null=True, default=None)


class ReminderRules(Table, tablename="reminder_rules"):
    """A team's reminder rules; a team without a row has the defaults (server.push.rules)."""

    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)

    team = ForeignKey(references=Team, unique=True)
    followups = Boolean(default=True)
    release_days = Varchar(length=60, default="30,14,7,1,0", help_text="Days before a release, 0 = the day.")
    appointment_pair_minutes = Integer(default=60, help_text="0 = no reminder to the pair.")
    appointment_client_hours = Varchar(length=30, default="24,2")
    referral_check = Boolean(default=True)
    updated_at = Timestamptz(default=TimestamptzNow())


class Reminder(Table, tablename="reminder"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    dedupe_key = Varchar(length=160, unique=True, help_text="e.g. release:7:2026-12-01:7d")
    kind = Varchar(length=24)
    audience = Varchar(length=8, help_text="pair, client or user")
    team = ForeignKey(references=Team, null=True, index=True)
    client = ForeignKey(references=Client, null=True, index=True)
    user = ForeignKey(references=User, null=True)
    subject_id = Integer(null=True, default=None, help_text="The follow-up, appointment or referral.")
    event_at = Timestamptz(help_text="When the thing happens; after it the reminder is pointless.")
    due_at = Timestamptz()
    urgent = Boolean(default=False)
    state = Varchar(
        length=12, default="pending", help_text="pending, sending, sent, no_device, cancelled, expired, failed"
    )
    next_attempt_at = Timestamptz(index=True)
    locked_until = Timestamptz(null=True, default=None)
    claim = Varchar(length=32, default="", help_text="Whose lease: only that dispatcher may record the outcome.")
    attempts = Integer(default=0)
    devices = Integer(default=0, help_text="Phones it reached.")
    last_error = Varchar(length=200, default="")
    sent_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class ReminderDelivery(Table, tablename="reminder_delivery"):
    """A phone a reminder reached: a retry for another phone skips these."""

    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)

    reminder = ForeignKey(references=Reminder, index=True)
    key = Varchar(length=90, unique=True, help_text="reminder id : sha256 of the endpoint (the phone's row may go).")
    delivered_at = Timestamptz(default=TimestamptzNow())
