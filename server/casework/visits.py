"""Visits (kohtaamiset): stored exactly once per device-made id, whatever the replays.

The id comes from the phone (or the API caller). The insert is `ON CONFLICT (uuid) DO NOTHING`
inside one transaction with the visit's workers, themes, actions and follow-up, so 50
concurrent replays store one visit and every replay answers with the stored one (a unique
constraint, not check-then-insert). An id that belongs to another user's visit is refused with
409 and reveals nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from litestar.exceptions import HTTPException, NotFoundException

from server.accounts.tables import User
from server.audit.uselog import log_client_write
from server.casework import elsewhere
from server.casework.attendees import (
    GROUP,
    NETWORK_MEETING,
    group_parts,
    read_group_fields,
    require_attendees,
    single_client,
    store_group_parts,
    with_group_fields,
)
from server.casework.clients import require_client
from server.casework.tables import (
    THEMES,
    VISIT_ACTIONS,
    FollowUp,
    Visit,
    VisitKind,
)
from server.db.lifecycle import engine
from server.db.prepared import Statement, on_sqlite, placeholders, statement
from server.i18n import N_
from server.scope import MAX_ID, TeamScope
from server.timeutil import local_zone, utcnow
from server.validation import MAX_ANONYMOUS, MAX_NOTES, InvalidInput, Reader

KINDS = tuple(k.value for k in VisitKind)
FUTURE_TOLERANCE = timedelta(minutes=10)  # phone clocks run a little fast
FOLLOWUP_HOUR = 9


class VisitIdTaken(HTTPException):
    status_code = 409
    detail = "This visit id is already used"


@dataclass
class VisitInput:
    visit_id: uuid.UUID
    client_id: int | None
    anonymous_count: int
    occurred_at: datetime
    place: str
    kind: str
    themes: list[str]
    actions: list[str]
    worker_ids: list[int]
    notes: str
    together_with_client: bool
    followup_on: Any
    followup_note: str
    refer_service_id: int | None = None
    referral_note: str = ""
    # A group visit's known clients (then `client_id` is empty), a network meeting's parties and presence.
    client_ids: list[int] = field(default_factory=list)
    parties: str = ""
    client_present: bool | None = None


def read_visit(raw: dict[str, Any], require_id: bool) -> VisitInput:
    reader = Reader(raw)
    visit_id = reader.uuid("id")
    if visit_id is None and "id" not in reader.errors:
        if require_id:
            reader.fail("id", N_("This field is required."))
        visit_id = uuid.uuid4()  # a plain HTML form without JavaScript: one submit, one visit
    kind = reader.choice("kind", KINDS, default="street")
    anonymous = reader.integer("anonymous_count", 0, MAX_ANONYMOUS, default=0) or 0
    client_id = single_client(kind, reader.row_id("client_id"), reader.ids("client_ids"))
    group = read_group_fields(reader, kind, client_id, anonymous)
    if kind == GROUP:
        client_id = None  # a group's clients are its attendees, each with the visit in their timeline
    if (
        client_id is None
        and anonymous == 0
        and not group["client_ids"]
        and not reader.errors.keys() & {"client_id", "anonymous_count", "client_ids"}
    ):
        reader.fail("client_id", N_("Choose a client, or give the number of people met anonymously."))
    if kind == NETWORK_MEETING and client_id is None and "client_id" not in reader.errors:
        reader.fail("client_id", N_("A network meeting is about one known client."))
    if client_id is not None and anonymous:
        reader.fail("anonymous_count", N_("A visit is either with a known client or anonymous, not both."))
    if client_id is None and reader.present("next_followup_on"):
        reader.fail("next_followup_on", N_("A follow-up needs a known client."))
    occurred_at = reader.moment("occurred_at", default=utcnow())
    if occurred_at is not None and occurred_at > utcnow() + FUTURE_TOLERANCE:
        reader.fail("occurred_at", N_("A visit cannot be in the future."))
    visit = VisitInput(
        visit_id=visit_id or uuid.uuid4(),
        client_id=client_id,
        anonymous_count=anonymous,
        occurred_at=occurred_at or utcnow(),
        place=reader.text("place"),
        kind=kind,
        themes=reader.choices("themes", THEMES),
        actions=reader.choices("actions", VISIT_ACTIONS),
        worker_ids=reader.ids("workers"),
        notes=reader.text("notes", MAX_NOTES, multiline=True),
        together_with_client=reader.flag("together_with_client"),
        followup_on=reader.day("next_followup_on"),
        followup_note=reader.text("followup_note"),
        refer_service_id=reader.row_id("refer_service_id"),
        referral_note=reader.text("referral_note", 500),
        **group,
    )
    if visit.refer_service_id is not None and client_id is None:
        reader.fail("refer_service_id", N_("A referral needs a known client."))
    if visit.referral_note and visit.refer_service_id is None and "refer_service_id" not in reader.errors:
        reader.fail("refer_service_id", N_("Choose the service the note is about."))
    reader.done()
    return visit


async def _team_and_pair(walls: TeamScope, visit: VisitInput) -> tuple[int, int | None]:
    if visit.client_ids:  # a group: every attendee behind the walls, one foreign id is 404 for all
        return await require_attendees(walls, visit.client_ids), None
    if visit.client_id is not None:
        # A client not (or no longer) in this user's teams answers 404, as any foreign id.
        client = await _client_behind_wall(walls, visit.client_id)
        return client["team"], client["pair"]
    if walls.user.team_id is None:
        raise InvalidInput({"client_id": N_("Choose a client, or give the number of people met anonymously.")})
    return walls.user.team_id, walls.user.pair_id


# The hot statements of a visit POST, prepared once (server/db/prepared.py).
_CLIENT = Statement("SELECT id, team, pair FROM client WHERE id = {}")
_INSERT_VISIT = Statement(
    "INSERT INTO visit (uuid, team, client, anonymous_count, occurred_at, place, kind, notes, together_with_client, "
    "created_by, received_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) "
    "ON CONFLICT (uuid) DO NOTHING RETURNING id"
)
# PostgreSQL: the visit and its workers, themes and actions in one round trip (SQLite runs the
# statements inline, where a round trip costs nothing: it uses _INSERT_VISIT and _insert_parts).
_INSERT_VISIT_WITH_PARTS = Statement(
    "SELECT 1",
    postgres="""
WITH v AS (
  INSERT INTO visit (uuid, team, client, anonymous_count, occurred_at, place, kind, notes, together_with_client,
                     created_by, received_at)
  VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) ON CONFLICT (uuid) DO NOTHING RETURNING id),
w AS (INSERT INTO visit_worker (visit, "user") SELECT v.id, unnest({}::integer[]) FROM v),
t AS (INSERT INTO visit_theme (visit, theme) SELECT v.id, unnest({}::text[]) FROM v),
a AS (INSERT INTO visit_action (visit, action) SELECT v.id, unnest({}::text[]) FROM v)
SELECT id FROM v
""",
)
# A stored visit and its parts in one query: the replay's whole answer.
_STORED_SQL = """
SELECT v.id, v.uuid, v.team, v.client, v.anonymous_count, v.occurred_at, v.place, v.kind, v.notes,
       v.together_with_client, v.created_by, v.received_at,
       (SELECT {agg}(theme, ',') FROM visit_theme WHERE visit = v.id) AS themes,
       (SELECT {agg}(action, ',') FROM visit_action WHERE visit = v.id) AS actions,
       (SELECT {agg}({user}, ',') FROM visit_worker WHERE visit = v.id) AS workers,
       (SELECT min(id) FROM followup WHERE visit = v.id) AS followup_id
FROM visit v WHERE v.uuid = {{}}
"""
_STORED = Statement(
    _STORED_SQL.format(agg="group_concat", user='"user"'),
    postgres=_STORED_SQL.format(agg="string_agg", user='"user"::text'),
)
_PART_TABLES = {"visit_worker": '"user"', "visit_theme": "theme", "visit_action": "action"}
_PART_INSERTS: dict[tuple[str, int], Statement] = {}


def _insert_parts(table: str, count: int) -> Statement:
    """INSERT of `count` rows into one of the visit's part tables (one statement per size, kept)."""
    statement = _PART_INSERTS.get((table, count))
    if statement is None:
        values = ", ".join(["({}, {})"] * count)
        statement = Statement(f"INSERT INTO {table} (visit, {_PART_TABLES[table]}) VALUES {values}")  # nosec B608 # names from _PART_TABLES, values are placeholders
        _PART_INSERTS[(table, count)] = statement
    return statement


async def _client_behind_wall(walls: TeamScope, client_id: int) -> dict[str, Any]:
    """The client's team and pair, or 404: `require_client`'s wall as one prepared statement."""
    row = await _CLIENT.first(client_id) if 1 <= client_id <= MAX_ID else None
    if row is None or row["team"] not in walls.team_ids:
        raise NotFoundException()
    return row


def _is_own(walls: TeamScope, stored: dict[str, Any]) -> bool:
    return stored["created_by"] == walls.user.id and stored["team"] in walls.team_ids


async def _stored_answer(stored: dict[str, Any]) -> dict[str, Any]:
    split = lambda joined: [part for part in (joined or "").split(",") if part]  # noqa: E731
    parts: dict[str, list[Any]] = {
        "themes": split(stored["themes"]),
        "actions": split(stored["actions"]),
        "workers": [int(user_id) for user_id in split(stored["workers"])],
    }
    # Only a group or a network meeting has attendees or parties to add (one more query for those).
    group = (
        (await group_parts([stored["id"]])).get(stored["id"]) if stored["kind"] in (GROUP, NETWORK_MEETING) else None
    )
    return with_group_fields(public_visit(stored, parts, stored["followup_id"]), group)


async def _workers(walls: TeamScope, team_id: int, requested: list[int]) -> list[int]:
    """Who was there: by default the user's pair (either may have been alone)."""
    if not requested:
        return sorted({walls.user.id, walls.user.partner_id} - {None})  # type: ignore[arg-type]
    rows = await User.select(User.id).where(User.id.is_in(requested) & (User.team == team_id) & User.is_active.eq(True))
    if len(rows) != len(requested):
        raise InvalidInput({"workers": N_("Not one of the allowed choices.")})
    return requested


async def record_visit(walls: TeamScope, visit: VisitInput) -> tuple[dict[str, Any], bool]:
    """Store the visit once; (stored visit, True) the first time, (stored visit, False) on replays.

    A replay (the phone resending what was stored, maybe after the client or a worker moved) is
    read first and answered from one query, with no write and no new use-log row. A new visit is
    one transaction: the visit, its parts and its use-log row stand or fall together.
    """
    stored = await _STORED.first(visit.visit_id)
    if stored is not None and _is_own(walls, stored):
        return await _stored_answer(stored), False
    team_id, pair_id = await _team_and_pair(walls, visit)
    workers = await _workers(walls, team_id, visit.worker_ids)
    if visit.refer_service_id is not None:
        await elsewhere.service_to_refer(visit.refer_service_id, "refer_service_id")
    received_at = utcnow()
    async with engine().transaction():
        values = (
            visit.visit_id,
            team_id,
            visit.client_id,
            visit.anonymous_count,
            visit.occurred_at,
            visit.place,
            visit.kind,
            visit.notes,
            visit.together_with_client,
            walls.user.id,
            received_at,
        )
        parts_stored = not on_sqlite()
        if parts_stored:
            inserted = await _INSERT_VISIT_WITH_PARTS.fetch(*values, workers, visit.themes, visit.actions)
        else:
            inserted = await _INSERT_VISIT.fetch(*values)
        if not inserted:  # stored meanwhile by a concurrent delivery (or another user's id)
            stored = await _STORED.first(visit.visit_id)
        else:
            followup_id = await _store_parts(
                inserted[0]["id"], visit, workers, team_id, pair_id, walls.user.id, parts_stored
            )
            if visit.client_ids or visit.kind == NETWORK_MEETING:  # each attendee logged as written
                await store_group_parts(
                    walls, inserted[0]["id"], team_id, visit.client_ids, visit.kind, visit.parties, visit.client_present
                )
            if visit.client_id is not None and (visit.followup_on or visit.refer_service_id):
                # Reminders also for what arrived late by sync (a passed moment is sent once, not never).
                await elsewhere.client_changed(visit.client_id)
            if visit.client_id is not None:  # a replay stores nothing new: nothing to log
                await log_client_write(walls, visit.client_id, team_id, "create", f"visit:{visit.visit_id}")
            if "crisis" in visit.actions and walls.user.pair_id is not None:
                # The pair that was there talks it through, whoever's client it was.
                await elsewhere.crisis_recorded(walls.user.pair_id, walls.user.team_id or team_id, visit.occurred_at)
    if inserted:  # the first delivery: answer from what was just stored, without reading it back
        row = {
            "uuid": visit.visit_id,
            "client": visit.client_id,
            "anonymous_count": visit.anonymous_count,
            "occurred_at": visit.occurred_at,
            "place": visit.place,
            "kind": visit.kind,
            "notes": visit.notes,
            "together_with_client": visit.together_with_client,
            "created_by": walls.user.id,
            "received_at": received_at,
        }
        parts: dict[str, list[Any]] = {"themes": visit.themes, "actions": visit.actions, "workers": workers}
        group = {"client_ids": visit.client_ids, "parties": visit.parties, "client_present": visit.client_present}
        return with_group_fields(public_visit(row, parts, followup_id), group), True
    if stored is None or not _is_own(walls, stored):
        raise VisitIdTaken()
    return await _stored_answer(stored), False


async def _store_parts(
    visit_pk: int,
    visit: VisitInput,
    workers: list[int],
    team_id: int,
    pair_id: int | None,
    author: int,
    parts_stored: bool = False,
) -> int | None:
    """Workers, themes, actions (unless the insert stored them) and the follow-up of a new visit;
    returns the follow-up's id."""
    for table, values in (("visit_worker", workers), ("visit_theme", visit.themes), ("visit_action", visit.actions)):
        if values and not parts_stored:
            await _insert_parts(table, len(values)).fetch(*[arg for value in values for arg in (visit_pk, value)])
    if visit.refer_service_id is not None and visit.client_id is not None:  # "referred during the visit"
        client = {"id": visit.client_id, "team": team_id, "pair": pair_id}
        await elsewhere.referred_during_visit(client, visit.refer_service_id, visit.referral_note, visit_pk, author)
    if visit.followup_on is not None and visit.client_id is not None:
        due = datetime.combine(visit.followup_on, time(FOLLOWUP_HOUR), tzinfo=local_zone())
        rows = await FollowUp.insert(
            FollowUp(
                team=team_id,
                client=visit.client_id,
                pair=pair_id,
                visit=visit_pk,
                due_at=due,
                note=visit.followup_note or "",
                created_by=author,
            )
        )
        return rows[0]["id"]
    return None


_VISIT_COLUMNS = (
    Visit.id,
    Visit.uuid,
    Visit.client,
    Visit.anonymous_count,
    Visit.occurred_at,
    Visit.place,
    Visit.kind,
    Visit.notes,
    Visit.together_with_client,
    Visit.created_by,
    Visit.received_at,
)


# A visit's parts for a page of visits in one statement (server/db/prepared.py): its themes,
# actions and workers, and its follow-up. Values are text so the four lists can be one.
_PARTS_SQL = """SELECT visit, 'theme' AS part, theme AS value FROM visit_theme WHERE visit IN ({ids})
UNION ALL SELECT visit, 'action', action FROM visit_action WHERE visit IN ({ids})
UNION ALL SELECT visit, 'worker', CAST("user" AS TEXT) FROM visit_worker WHERE visit IN ({ids})
UNION ALL SELECT visit, 'followup', CAST(id AS TEXT) FROM followup WHERE visit IN ({ids})"""


async def _with_parts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Themes, actions, workers and follow-up of each visit, in one query for the whole page."""
    ids = [row["id"] for row in rows]
    if not ids:
        return []
    parts: dict[int, dict[str, list]] = {pk: {"themes": [], "actions": [], "workers": []} for pk in ids}
    followups: dict[int, int] = {}
    found = await statement(_PARTS_SQL.format(ids=placeholders(len(ids)))).fetch(*ids, *ids, *ids, *ids)
    for row in found:
        if row["part"] == "theme":
            parts[row["visit"]]["themes"].append(row["value"])
        elif row["part"] == "action":
            parts[row["visit"]]["actions"].append(row["value"])
        elif row["part"] == "worker":
            parts[row["visit"]]["workers"].append(int(row["value"]))
        else:  # the lowest id, as a visit has at most one follow-up made from its form
            followups[row["visit"]] = min(int(row["value"]), followups.get(row["visit"], int(row["value"])))
    groups = await group_parts(ids)
    return [
        with_group_fields(public_visit(row, parts[row["id"]], followups.get(row["id"])), groups.get(row["id"]))
        for row in rows
    ]


def public_visit(row: dict[str, Any], parts: dict[str, list], followup_id: int | None) -> dict[str, Any]:
    return {
        "id": str(row["uuid"]),
        "client_id": row["client"],
        "anonymous_count": row["anonymous_count"],
        "occurred_at": row["occurred_at"],
        "place": row["place"],
        "kind": row["kind"],
        "themes": sorted(parts["themes"], key=THEMES.index),
        "actions": sorted(parts["actions"], key=VISIT_ACTIONS.index),
        "workers": sorted(parts["workers"]),
        "notes": row["notes"],
        "together_with_client": row["together_with_client"],
        "followup_id": followup_id,
        "created_by": row["created_by"],
        "received_at": row["received_at"],
    }


async def visit_detail(walls: TeamScope, visit_id: uuid.UUID) -> dict[str, Any]:
    rows = await walls.select(Visit, *_VISIT_COLUMNS).where(Visit.uuid == visit_id)
    if not rows:
        raise NotFoundException()
    return (await _with_parts(rows))[0]


_LIST_COLUMNS = ", ".join(f"v.{column._meta.db_column_name}" for column in _VISIT_COLUMNS)


async def _visits_of(walls: TeamScope, client_id: int | None) -> tuple[str, list[Any]]:
    """The condition (as SQL on `visit v`, with its parameters) for the visits within the walls, of
    one client when given: their own and the group visits they were at."""
    teams = walls.team_id_list()
    condition, args = f"v.team IN ({placeholders(len(teams))})", list(teams)
    if client_id is not None:
        await require_client(walls, client_id)
        condition += " AND (v.client = {} OR v.id IN (SELECT visit FROM visit_attendee WHERE client = {}))"
        args += [client_id, client_id]
    return condition, args


async def _page_of_visits(condition: str, args: list[Any], limit: int, offset: int) -> list[dict]:
    """Newest first; the id keeps pages apart at equal times. SQL written once per shape
    (server/db/prepared.py): Piccolo's query building was most of a client page's database time."""
    rows = await statement(
        f"SELECT {_LIST_COLUMNS} FROM visit v WHERE {condition} "  # nosec B608 # column names and placeholders only
        "ORDER BY v.occurred_at DESC, v.id DESC LIMIT {} OFFSET {}"
    ).fetch(*args, limit, offset)
    return await _with_parts(rows)


async def list_visits(walls: TeamScope, client_id: int | None, limit: int, offset: int) -> tuple[list[dict], int]:
    condition, args = await _visits_of(walls, client_id)
    total = (await statement(f"SELECT COUNT(*) AS n FROM visit v WHERE {condition}").fetch(*args))[0]["n"]  # nosec B608 # placeholders only
    return await _page_of_visits(condition, args, limit, offset), total


async def client_timeline(walls: TeamScope, client_id: int, limit: int, offset: int) -> tuple[list[dict], bool]:
    """A page of the client's visits for their page, and whether older ones follow (one row more
    is read instead of counting them all)."""
    condition, args = await _visits_of(walls, client_id)
    visits = await _page_of_visits(condition, args, limit + 1, offset)
    return visits[:limit], len(visits) > limit
