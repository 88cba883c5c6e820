"""Teams, users, work pairs and the server-side sessions that let a lost phone be locked out."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import BigInt, Boolean, ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Role(str, Enum):
    professional = "professional"
    experience_expert = "experience_expert"
    lead = "lead"
    admin = "admin"


class Team(Table, tablename="team"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    name = Varchar(length=120, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())


class User(Table, tablename="app_user"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    email = Varchar(length=254, unique=True, help_text="Stored lower-cased; the login name.")
    display_name = Varchar(length=120)
    password_hash = Varchar(length=255, help_text="argon2id")
    role = Varchar(length=32, choices=Role)
    team = ForeignKey(references=Team, null=True, help_text="Empty only for an admin without a team.")
    language = Varchar(length=8, default="", help_text="fi, sv or en; empty follows the browser.")
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    disabled_at = Timestamptz(null=True, default=None)
    totp_secret = Varchar(
        length=255, default="", help_text="The TOTP key, encrypted (AES-GCM, key from SECRET_KEY); empty = none."
    )
    totp_enabled_at = Timestamptz(null=True, default=None, help_text="Empty while set-up is unconfirmed.")
    totp_last_step = BigInt(default=0, help_text="The last time step a code was used for: no replay.")
    password_change_due = Boolean(
        default=False, help_text="A temporary password from a lead: nothing else opens until the user sets their own."
    )


class Pair(Table, tablename="work_pair"):
    """Two workers of one team who share their clients (asiakasprosessit pysyvät yhteisinä)."""

    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)

    team = ForeignKey(references=Team)
    first_member = ForeignKey(references=User)
    second_member = ForeignKey(references=User)
    created_at = Timestamptz(default=TimestamptzNow())
    ended_at = Timestamptz(null=True, default=None)


class UserSession(Table, tablename="user_session"):
    """Only a hash of the cookie's token is kept: a database copy cannot be replayed."""

    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(references=User, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    device = Varchar(length=120, default="", help_text="Browser and platform, to tell phones apart.")
    wipe = Boolean(default=False, help_text="A lead asked the phone of this ended session to delete its data.")


class LoginFailure(Table, tablename="login_failure"):
    """Failed logins, counted per account and per address for throttling (shared by processes)."""

    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)

    account_key = Varchar(length=64, index=True, help_text="sha256 of the lower-cased email")
    address = Varchar(length=64, index=True)
    failed_at = Timestamptz(default=TimestamptzNow(), index=True)


class RecoveryCode(Table, tablename="recovery_code"):
    """One-time codes for a lost authenticator: only a SHA-256 of each (60 random bits) is kept."""

    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)

    user = ForeignKey(references=User, index=True)
    code_hash = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())
    used_at = Timestamptz(null=True, default=None)


class KnownDevice(Table, tablename="known_device"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    """A phone that fetched its keys for a user: a wipe reaches it by its own id, even after its
    cookie has expired (the phone keeps the random id it made for itself, server/offline)."""

    user = ForeignKey(references=User, index=True)
    device_hash = Varchar(length=64, index=True, help_text="sha256 of the phone's own random id")
    seen_at = Timestamptz(default=TimestamptzNow())
    wipe_at = Timestamptz(null=True, default=None, help_text="When a lead or admin asked this phone to wipe.")


class PendingLogin(Table, tablename="pending_login"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    """A password proven, the second factor still to come: the cookie holds only a random token
    (its hash is here), never the password, and it lives a few minutes."""

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(references=User, index=True)
    address = Varchar(length=64, default="")
    next = Varchar(length=300, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    failures = Integer(default=0)


class Invitation(Table, tablename="invitation"):
    id: Serial  # Piccolo's implicit primary key, declared for the type checker (no schema change)
    """A link a lead gives a new member to set their own password: used once, for a few days.
    Only a SHA-256 of the link's token (256 random bits) is kept."""

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(references=User, index=True)
    created_by = ForeignKey(references=User, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
