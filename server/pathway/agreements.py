"""Agreements and goals: set with the client, in the client's own words, followed goal by goal.

Every read and write here is use-logged (the log names the object, never a goal's words), and
every change that moves a date re-plans the client's reminders (an agreement about to end).
"""

from __future__ import annotations

from typing import Any

from server.audit.glass import client_within_walls, within_walls
from server.audit.uselog import log_client_read, log_client_write
from server.casework.clients import require_client
from server.db.lifecycle import engine
from server.db.prepared import column_list, placeholders, statement
from server.i18n import N_
from server.pathway.tables import AGREEMENT_KINDS, AGREEMENT_STATUSES, GOAL_STATUSES, Agreement, Goal, GoalChange
from server.push.planner import plan_client
from server.scope import TeamScope
from server.timeutil import utcnow
from server.validation import Reader

MAX_GOALS = 5
MAX_GOAL_TEXT = 300

_AGREEMENT_COLUMNS = (
    Agreement.id,
    Agreement.client,
    Agreement.team,
    Agreement.kind,
    Agreement.starts_on,
    Agreement.ends_on,
    Agreement.status,
    Agreement.created_at,
    Agreement.updated_at,
)
_GOAL_COLUMNS = (Goal.id, Goal.agreement, Goal.client, Goal.position, Goal.text, Goal.status, Goal.updated_at)


def read_agreement(raw: dict[str, Any]) -> dict[str, Any]:
    """Kind, period and 1–5 goals; field errors name `goals.<n>.text` for a goal."""
    reader = Reader(raw)
    kind = reader.choice("kind", AGREEMENT_KINDS, default="social_rehabilitation")
    starts_on = reader.day("starts_on", required=True)
    ends_on = reader.day("ends_on", required=True)
    if starts_on and ends_on and ends_on <= starts_on:
        reader.fail("ends_on", N_("The end must be after the start."))
    goals = raw.get("goals")
    texts: list[str] = []
    if not isinstance(goals, list) or not 1 <= len(goals) <= MAX_GOALS:
        reader.fail("goals", N_("Write 1–5 goals."))
    else:
        for n, item in enumerate(goals):
            name = f"goals.{n}.text"
            if not isinstance(item, dict):
                reader.fail(name, N_("This field is required."))
                continue
            texts.append(_goal_text(reader, item, name))
    reader.done()
    return {"kind": kind, "starts_on": starts_on, "ends_on": ends_on, "goals": texts}


def _goal_text(reader: Reader, item: dict[str, Any], name: str) -> str:
    own = Reader({name: item.get("text")})
    text = own.text(name, MAX_GOAL_TEXT, required=True)
    for field, message in own.errors.items():
        reader.fail(field, message)
    return text


def public_goal(row: dict[str, Any], history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    goal = {
        "id": row["id"],
        "agreement_id": row["agreement"],
        "client_id": row["client"],
        "position": row["position"],
        "text": row["text"],
        "status": row["status"],
        "updated_at": row["updated_at"],
    }
    if history is not None:
        goal["history"] = history
    return goal


def public_agreement(row: dict[str, Any], goals: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "client_id": row["client"],
        "kind": row["kind"],
        "starts_on": row["starts_on"],
        "ends_on": row["ends_on"],
        "status": row["status"],
        "goals": goals,
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


async def create_agreement(walls: TeamScope, client_id: int, raw: dict[str, Any]) -> dict[str, Any]:
    client = await client_within_walls(walls, client_id, "agreements")
    values = read_agreement(raw)
    now = utcnow()
    async with engine().transaction():
        rows = await Agreement.insert(
            Agreement(
                team=client["team"],
                client=client["id"],
                kind=values["kind"],
                starts_on=values["starts_on"],
                ends_on=values["ends_on"],
                status="active",
                created_by=walls.user.id,
                created_at=now,
                updated_at=now,
            )
        ).returning(Agreement.id)
        agreement_id = rows[0]["id"]
        goal_rows = await Goal.insert(
            *[
                Goal(
                    team=client["team"],
                    client=client["id"],
                    agreement=agreement_id,
                    position=n,
                    text=text,
                    status="open",
                    updated_at=now,
                )
                for n, text in enumerate(values["goals"], start=1)
            ]
        ).returning(Goal.id)
        await GoalChange.insert(
            *[
                GoalChange(
                    team=client["team"],
                    goal=row["id"],
                    changed_by=walls.user.id,
                    changed_at=now,
                    from_status="",
                    to_status="open",
                )
                for row in goal_rows
            ]
        )
        await plan_client(client["id"])
        await log_client_write(walls, client["id"], client["team"], "create", f"agreement:{agreement_id}")
    return await _agreement(walls, agreement_id)


async def _agreement(walls: TeamScope, agreement_id: int) -> dict[str, Any]:
    row = await within_walls(walls, Agreement, agreement_id, "agreement", *_AGREEMENT_COLUMNS)
    goals = await walls.select(Goal, *_GOAL_COLUMNS).where(Goal.agreement == agreement_id).order_by(Goal.position)
    histories = await _histories([goal["id"] for goal in goals])
    return public_agreement(row, [public_goal(goal, histories[goal["id"]]) for goal in goals])


async def _histories(goal_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {goal_id: [] for goal_id in goal_ids}
    if goal_ids:
        rows = await (
            GoalChange.select(
                GoalChange.goal,
                GoalChange.changed_at,
                GoalChange.from_status,
                GoalChange.to_status,
                GoalChange.changed_by,
                GoalChange.changed_by.display_name.as_alias("changed_by_name"),
            )
            .where(GoalChange.goal.is_in(goal_ids))
            .order_by(GoalChange.changed_at)
            .order_by(GoalChange.id)
        )
        for row in rows:
            found[row.pop("goal")].append(row)
    return found


async def agreement_detail(walls: TeamScope, agreement_id: int) -> dict[str, Any]:
    agreement = await _agreement(walls, agreement_id)
    await log_client_read(
        walls,
        agreement["client_id"],
        (await require_client(walls, agreement["client_id"]))["team"],
        "agreement",
        object_=f"agreement:{agreement_id}",
    )
    return agreement


async def update_agreement(walls: TeamScope, agreement_id: int, raw: dict[str, Any]) -> dict[str, Any]:
    """Status (active, ended, discontinued) and the end date; nothing else of an agreement changes."""
    current = await within_walls(
        walls, Agreement, agreement_id, "agreement", Agreement.id, Agreement.client, Agreement.team, Agreement.starts_on
    )
    reader = Reader(raw)
    values: dict[Any, Any] = {}
    if "status" in raw:
        values[Agreement.status] = reader.choice("status", AGREEMENT_STATUSES)
    if "ends_on" in raw:
        values[Agreement.ends_on] = reader.day("ends_on", required=True)
        if values[Agreement.ends_on] and values[Agreement.ends_on] <= current["starts_on"]:
            reader.fail("ends_on", N_("The end must be after the start."))
    if not values and not reader.errors:
        reader.fail("status", N_("This field is required."))
    reader.done()
    values[Agreement.updated_at] = utcnow()
    async with engine().transaction():
        await Agreement.update(values).where((Agreement.id == agreement_id) & walls.condition(Agreement))
        await plan_client(current["client"])
        await log_client_write(walls, current["client"], current["team"], "update", f"agreement:{agreement_id}")
    return await _agreement(walls, agreement_id)


async def set_goal_status(walls: TeamScope, goal_id: int, raw: dict[str, Any]) -> dict[str, Any]:
    current = await within_walls(walls, Goal, goal_id, "goal", *_GOAL_COLUMNS, Goal.team)
    reader = Reader(raw)
    status = reader.choice("status", GOAL_STATUSES)
    if not status and "status" not in reader.errors:
        reader.fail("status", N_("This field is required."))
    reader.done()
    moved_now = False
    if status != current["status"]:  # the same status sent twice (a double tap) is no change
        now = utcnow()
        async with engine().transaction():
            # Only from the status just read: of two people changing it at once, one history step each.
            moved = (
                await Goal.update({Goal.status: status, Goal.updated_at: now})
                .where((Goal.id == goal_id) & walls.condition(Goal) & (Goal.status == current["status"]))
                .returning(Goal.id)
            )
            if moved:
                await GoalChange.insert(
                    GoalChange(
                        team=current["team"],
                        goal=goal_id,
                        changed_by=walls.user.id,
                        changed_at=now,
                        from_status=current["status"],
                        to_status=status,
                    )
                )
                await log_client_write(walls, current["client"], current["team"], "update", f"goal:{goal_id}")
                moved_now = True
    if not moved_now:  # a double tap changed nothing: the answer shows the goal, a read
        await log_client_read(walls, current["client"], current["team"], "goal", object_=f"goal:{goal_id}")
    row = await walls.get(Goal, goal_id, *_GOAL_COLUMNS)
    return public_goal(row, (await _histories([goal_id]))[goal_id])


async def agreements_of_client(walls: TeamScope, client_id: int, what: str | None = "agreements") -> list[dict]:
    """The client's agreements, newest first, each with its goals and their histories."""
    client = await client_within_walls(walls, client_id, "agreements")
    teams = walls.team_id_list()
    walled = f"team IN ({placeholders(len(teams))}) AND client = {{}}"
    # SQL written once per shape (server/db/prepared.py): every client page shows them.
    rows = await statement(
        f"SELECT {column_list(_AGREEMENT_COLUMNS, 'a')} FROM path_agreement a WHERE a.{walled} "  # nosec B608 # column names and placeholders only
        "ORDER BY a.starts_on DESC, a.id DESC"
    ).fetch(*teams, client_id)
    goals = await statement(
        f"SELECT {column_list(_GOAL_COLUMNS, 'g')} FROM path_goal g WHERE g.{walled} ORDER BY g.position"  # nosec B608 # column names and placeholders only
    ).fetch(*teams, client_id)
    histories = await _histories([goal["id"] for goal in goals])
    if what:
        await log_client_read(walls, client_id, client["team"], what, object_="agreements")
    return [
        public_agreement(
            row, [public_goal(goal, histories[goal["id"]]) for goal in goals if goal["agreement"] == row["id"]]
        )
        for row in rows
    ]


def goal_form_to_list(raw: dict[str, Any]) -> tuple[list[dict[str, str]], dict[str, str]]:
    """A plain form's goal_1…goal_5 boxes as the API's goal list (blank boxes dropped), and which
    box each list item came from, so a field error lands under the box the worker typed in."""
    goals: list[dict[str, str]] = []
    boxes: dict[str, str] = {}
    for n in range(1, MAX_GOALS + 1):
        text = raw.get(f"goal_{n}")
        if isinstance(text, str) and text.strip():
            boxes[f"goals.{len(goals)}.text"] = f"goal_{n}"
            goals.append({"text": text})
    return goals, boxes


def form_errors(errors: dict[str, str], boxes: dict[str, str]) -> dict[str, str]:
    mapped = {boxes.get(name, name): message for name, message in errors.items()}
    if "goals" in mapped:
        mapped["goal_1"] = mapped.pop("goals")
    return mapped


async def agreement_exists(walls: TeamScope, agreement_id: int) -> None:
    """404 for an agreement outside the walls, before any body is read (another team's is logged
    as refused)."""
    await within_walls(walls, Agreement, agreement_id, "agreement", Agreement.id)


async def goal_exists(walls: TeamScope, goal_id: int) -> None:
    await within_walls(walls, Goal, goal_id, "goal", Goal.id)
