"""The release plan: a checklist the pair fills before a client's release day.

Release from prison is the most critical moment of this work: the first night needs a place to
sleep, the first week money, papers and care. Each item is to do, done or not needed, and says
who sees to it (a member of the pair, or anyone else in words, e.g. "Kriminaalihuollon
tukisäätiö"). An item with no row is still to do, so a client with no plan at all has every item
open. Housing, livelihood and the gate meeting are essential: a release within 30 days with any
of them still to do is what the lead's dashboard counts as a release without a plan.

Every read and write goes through the team walls and into the use log (`release_plan`), here in
the service, not in the handlers.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar.exceptions import NotFoundException

from server.accounts.tables import Pair, User
from server.audit.glass import reading_walls
from server.audit.uselog import log_client_read, log_client_write
from server.casework.clients import releasing_within
from server.casework.tables import Client
from server.db.lifecycle import engine
from server.i18n import N_
from server.release.tables import ReleasePlanItem
from server.scope import TeamScope
from server.timeutil import local_today, utcnow
from server.validation import InvalidInput, Reader

ITEMS = ("housing", "livelihood", "id_card", "bank_account", "care", "probation_office", "gate", "first_meeting")
ESSENTIAL = ("housing", "livelihood", "gate")
STATES = ("todo", "done", "not_needed")
DONE_STATES = ("done", "not_needed")
WITHOUT_PLAN_DAYS = 30
MAX_WHO = 120


def default_state(item: str, release_type: str | None) -> str:
    """The probation office is an item only for supervised probationary freedom (valvottu koevapaus)."""
    if item == "probation_office" and release_type != "supervised_probationary_freedom":
        return "not_needed"
    return "todo"


# -- reading what was sent ---------------------------------------------------------------------


def read_items(raw: dict[str, Any], allowed_users: set[int]) -> dict[str, dict[str, Any]]:
    """`{"items": {"housing": "done", "gate": {"state": "todo", "who_user_id": 3, "who": "…"}}}` as
    clean changes per item, or InvalidInput naming each bad field (`items.<item>[.who…]`)."""
    items = raw.get("items")
    if not isinstance(items, dict) or not items:
        raise InvalidInput({"items": N_("Give at least one item of the plan.")})
    errors: dict[str, str] = {}
    changes: dict[str, dict[str, Any]] = {}
    for key, value in items.items():
        field = f"items.{key}"
        if key not in ITEMS:
            errors[field] = N_("Not an item of the release plan.")
            continue
        entry = value if isinstance(value, dict) else {"state": value}
        reader = Reader({"state": entry.get("state"), "who": entry.get("who"), "who_user_id": entry.get("who_user_id")})
        state = reader.choice("state", STATES)
        who_text = reader.text("who", MAX_WHO)
        who_user = reader.row_id("who_user_id")
        if who_user is not None and who_user not in allowed_users:
            reader.fail("who_user_id", N_("Choose a member of the client's pair."))
        for name, message in reader.errors.items():
            errors[field if name == "state" else f"{field}.{name}"] = message
        changes[key] = {"state": state, "who_user": who_user, "who_text": who_text}
    if errors:
        raise InvalidInput(errors)
    return changes


def form_items(raw: dict[str, Any]) -> dict[str, Any]:
    """The plain HTML form (`state_<item>`, `who_<item>`, `who_text_<item>`) as the API's body."""
    items = {}
    for item in ITEMS:
        if f"state_{item}" in raw:
            who = raw.get(f"who_{item}") or None
            items[item] = {
                "state": raw.get(f"state_{item}"),
                "who_user_id": who,
                "who": raw.get(f"who_text_{item}", ""),
            }
    return {"items": items}


def form_errors(errors: dict[str, str]) -> dict[str, str]:
    """API field names (`items.housing.who`) as the form's (`who_text_housing`)."""
    renamed = {}
    for name, message in errors.items():
        parts = name.split(".")
        if len(parts) == 2:
            renamed[f"state_{parts[1]}"] = message
        elif len(parts) == 3:
            renamed[f"{'who_text' if parts[2] == 'who' else 'who'}_{parts[1]}"] = message
        else:
            renamed[name] = message
    return renamed


# -- the walls ---------------------------------------------------------------------------------


async def _client(walls: TeamScope, client_id: int, what: str, write: bool) -> tuple[TeamScope, dict[str, Any]]:
    """The client behind the walls (another team's: 404, logged as refused). Break-the-glass
    reads the plan but never changes it."""
    reading = await reading_walls(walls, client_id, what)
    if write and reading.glass_reason:
        raise NotFoundException()
    client = await reading.get(
        Client, client_id, Client.id, Client.team, Client.pair, Client.release_date, Client.release_type, Client.status
    )
    return reading, client


async def who_choices(client: dict[str, Any]) -> list[dict[str, Any]]:
    """Who of the workers can see to an item: the client's pair (the team's workers if no pair)."""
    members: list[int] = []
    if client["pair"] is not None:
        pair = await Pair.select(Pair.first_member, Pair.second_member).where(Pair.id == client["pair"]).first()
        members = [pair["first_member"], pair["second_member"]] if pair else []
    condition = (
        User.id.is_in(members)
        if members
        else (User.team == client["team"]) & User.role.is_in(["professional", "experience_expert"])
    )
    return (
        await User.select(User.id, User.display_name)
        .where(condition & User.is_active.eq(True))
        .order_by(User.display_name)
    )


# -- reading and writing -----------------------------------------------------------------------


async def _plan(client: dict[str, Any], today: date | None = None) -> dict[str, Any]:
    rows = await ReleasePlanItem.select(
        ReleasePlanItem.item,
        ReleasePlanItem.state,
        ReleasePlanItem.who_user,
        ReleasePlanItem.who_text,
        ReleasePlanItem.who_user.display_name.as_alias("who_name"),
        ReleasePlanItem.updated_at,
    ).where(ReleasePlanItem.client == client["id"])
    stored = {row["item"]: row for row in rows}
    items = {}
    for item in ITEMS:
        row = stored.get(item)
        items[item] = {
            "state": row["state"] if row else default_state(item, client["release_type"]),
            "who_user_id": row["who_user"] if row else None,
            "who_name": (row or {}).get("who_name") or "",
            "who": row["who_text"] if row else "",
            "essential": item in ESSENTIAL,
            "updated_at": row["updated_at"] if row else None,
        }
    today = today or local_today()
    release = client["release_date"]
    return {
        "client_id": client["id"],
        "release_date": release,
        "days_to_release": (release - today).days if release else None,
        "started": bool(rows),
        "items": items,
        "open": [item for item in ITEMS if items[item]["state"] == "todo"],
        "open_essential": [item for item in ESSENTIAL if items[item]["state"] == "todo"],
    }


async def release_plan(walls: TeamScope, client_id: int, what: str = "release_plan") -> dict[str, Any]:
    reading, client = await _client(walls, client_id, what, write=False)
    plan = await _plan(client)
    await log_client_read(reading, client_id, client["team"], what, object_="release_plan")
    return plan


async def page_section(
    client: dict[str, Any], errors: dict | None = None, values: dict | None = None, saved: bool = False
) -> dict[str, Any]:
    """The client page's release-plan section (the page's own use-log row covers what it shows);
    empty for a client with no release date."""
    if client["release_date"] is None:
        return {"release_plan": None}
    plan = {**await _plan(client), "who_choices": await who_choices(client)}
    return {
        "release_plan": plan,
        "plan_errors": errors or {},
        "plan_values": values or {},
        "plan_saved": saved,
        "RELEASE_ITEMS": ITEMS,
        "RELEASE_STATES": STATES,
    }


async def save_release_plan(
    walls: TeamScope, client_id: int, raw: dict[str, Any], what: str = "release_plan"
) -> dict[str, Any]:
    """Sets the items given (the others keep their state); all or nothing, and logged."""
    _reading, client = await _client(walls, client_id, what, write=True)
    changes = read_items(raw, {row["id"] for row in await who_choices(client)})
    now = utcnow()
    async with engine().transaction():
        for item, change in changes.items():
            await ReleasePlanItem.insert(
                ReleasePlanItem(
                    team=client["team"],
                    client=client_id,
                    item=item,
                    state=change["state"],
                    who_user=change["who_user"],
                    who_text=change["who_text"],
                    updated_by=walls.user.id,
                    updated_at=now,
                )
            ).on_conflict(
                target=(ReleasePlanItem.client, ReleasePlanItem.item),
                action="DO UPDATE",
                values=[
                    ReleasePlanItem.team,
                    ReleasePlanItem.state,
                    ReleasePlanItem.who_user,
                    ReleasePlanItem.who_text,
                    ReleasePlanItem.updated_by,
                    ReleasePlanItem.updated_at,
                ],
            )
        await log_client_write(walls, client_id, client["team"], "update", f"release_plan:{client_id}")
    return await _plan(client)


# -- for the reminders and the lead's dashboard (counts and ids, no names) ----------------------


async def _states(client_ids: list[int]) -> dict[int, dict[str, str]]:
    found: dict[int, dict[str, str]] = {client_id: {} for client_id in client_ids}
    if client_ids:
        for row in await ReleasePlanItem.select(
            ReleasePlanItem.client, ReleasePlanItem.item, ReleasePlanItem.state
        ).where(ReleasePlanItem.client.is_in(client_ids)):
            found[row["client"]][row["item"]] = row["state"]
    return found


async def open_item_counts(client_ids: list[int]) -> dict[int, int]:
    """How many items of each client's plan are still to do (a release reminder says the number)."""
    clients = await Client.select(Client.id, Client.release_type).where(Client.id.is_in(client_ids or [-1]))
    states = await _states([row["id"] for row in clients])
    return {
        row["id"]: sum(
            1 for item in ITEMS if states[row["id"]].get(item, default_state(item, row["release_type"])) == "todo"
        )
        for row in clients
    }


async def releases_without_plan(walls: TeamScope, today: date, days: int = WITHOUT_PLAN_DAYS) -> list[dict[str, Any]]:
    """Releases within `days` with an essential item still to do (or no plan at all), soonest first."""
    rows = (
        await Client.select(Client.id, Client.pair, Client.release_date)
        .where(walls.condition(Client) & releasing_within(today, days))
        .order_by(Client.release_date)
        .order_by(Client.id)
    )
    states = await _states([row["id"] for row in rows])
    found = []
    for row in rows:
        open_essential = [item for item in ESSENTIAL if states[row["id"]].get(item, "todo") == "todo"]
        if open_essential:
            found.append(
                {
                    "client_id": row["id"],
                    "pair_id": row["pair"],
                    "release_date": row["release_date"],
                    "days_left": (row["release_date"] - today).days,
                    "open_essential": open_essential,
                    "no_plan": not states[row["id"]],
                }
            )
    return found
