"""Account rules shared by the CLI and the web: teams, users, pairs, disabling, logging in."""

from __future__ import annotations

import re

from server.accounts.passwords import hash_password_async, password_problem, verify_password_async
from server.accounts.sessions import revoke_sessions, user_by_email
from server.accounts.tables import Pair, Role, Team, User
from server.timeutil import utcnow

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


class AccountError(ValueError):
    """A rule was broken; the message is one clear line (an English msgid)."""


def normalise_email(email: str) -> str:
    value = email.strip().lower()
    if len(value) > 254 or not _EMAIL.match(value):
        raise AccountError(f"Not a valid email address: {email.strip()!r}")
    return value


async def add_team(name: str) -> int:
    name = " ".join(name.split())
    if not name or len(name) > 120:
        raise AccountError("A team needs a name of 1-120 characters")
    if await Team.exists().where(Team.name == name):
        raise AccountError(f"Team {name!r} already exists")
    rows = await Team.insert(Team(name=name))
    return rows[0]["id"]


async def team_id_by_name(name: str) -> int:
    row = await Team.select(Team.id).where(Team.name == " ".join(name.split())).first()
    if row is None:
        raise AccountError(f"No team called {name!r}")
    return row["id"]


async def add_user(
    email: str, role: str, password: str, team: str | None, display_name: str = "", change_due: bool = False
) -> int:
    email = normalise_email(email)
    if role not in {r.value for r in Role}:
        raise AccountError(f"Unknown role {role!r}: use professional, experience_expert, lead or admin")
    if team is None and role != Role.admin.value:
        raise AccountError("Every role except admin needs a team (--team NAME)")
    team_id = await team_id_by_name(team) if team is not None else None
    problem = password_problem(password, email)
    if problem:
        raise AccountError(problem)
    if await User.exists().where(User.email == email):
        raise AccountError(f"User {email} already exists")
    name = display_name.strip() or email.split("@", 1)[0].replace(".", " ").title()
    rows = await User.insert(
        User(
            email=email,
            role=role,
            team=team_id,
            password_hash=await hash_password_async(password),
            display_name=name[:120],
            password_change_due=change_due,
        )
    )
    return rows[0]["id"]


async def add_pair(first_email: str, second_email: str) -> int:
    first = await user_by_email(first_email)
    second = await user_by_email(second_email)
    for email, user in ((first_email, first), (second_email, second)):
        if user is None:
            raise AccountError(f"No user {email.strip().lower()}")
    assert first is not None and second is not None
    if first["id"] == second["id"]:
        raise AccountError("A pair needs two different people")
    if first["team"] is None or first["team"] != second["team"]:
        raise AccountError("Both members of a pair must belong to the same team")
    for user in (first, second):
        busy = await Pair.exists().where(
            Pair.ended_at.is_null() & ((Pair.first_member == user["id"]) | (Pair.second_member == user["id"]))
        )
        if busy:
            raise AccountError(f"{user['email']} already works in a pair")
    rows = await Pair.insert(Pair(team=first["team"], first_member=first["id"], second_member=second["id"]))
    return rows[0]["id"]


async def disable_user(email: str) -> int:
    """Disable an account and end all its sessions at once; returns how many sessions ended."""
    user = await user_by_email(email)
    if user is None:
        raise AccountError(f"No user {email.strip().lower()}")
    await User.update({User.is_active: False, User.disabled_at: utcnow()}).where(User.id == user["id"])
    return await revoke_sessions(user["id"])


async def log_out_everywhere(email: str, wipe: bool = False) -> int:
    """A lost phone or a leaver: every session of the user ends (and their phones' pushes stop);
    the next request from any of their devices asks for a login, and with `wipe` also deletes
    that phone's cached data and waiting visits. Returns how many sessions ended."""
    user = await user_by_email(email)
    if user is None:
        raise AccountError(f"No user {email.strip().lower()}")
    return await revoke_sessions(user["id"], wipe=wipe)


def _plausible_email(email: str) -> bool:
    return len(email) <= 254 and not any(ord(ch) < 32 for ch in email)


async def authenticate(email: str, password: str) -> dict | None:
    """The user row when email and password match an active account; same work either way."""
    user = await user_by_email(email) if _plausible_email(email) else None
    ok = await verify_password_async(user["password_hash"] if user else None, password[:1024])
    if not ok or user is None or not user["is_active"]:
        return None
    return user
