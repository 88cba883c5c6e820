"""Group visits (ryhmätoiminta) and network meetings (verkostopalaveri): what they add to a visit.

A group visit is one visit row with several known clients (VisitAttendee rows; the visit's own
`client` is empty) and a count of people not named. It shows as one line in each attendee's
timeline. Every attendee passes the team wall: one id of another team answers 404 for the whole
visit and nothing is stored (the refused attempt is logged for that team, as everywhere).

A network meeting is about one known client and names the other parties (organisations or roles;
no names needed). It records whether the client was there: in this way of working, matters about
the client are discussed and decided only with the client present, so the form starts at "yes".
"""

from __future__ import annotations

from typing import Any

from litestar.exceptions import NotFoundException

from server.audit import chain
from server.audit.uselog import log_refused, use_row
from server.casework.tables import AccessLog, Client, Visit, VisitAttendee, VisitMeeting
from server.db.prepared import placeholders, statement
from server.i18n import N_
from server.scope import TeamScope
from server.validation import InvalidInput, Reader

GROUP = "group"
NETWORK_MEETING = "network_meeting"
MAX_ATTENDEES = 50
MAX_PARTIES = 300


def read_group_fields(reader: Reader, kind: str, client_id: int | None, anonymous: int) -> dict[str, Any]:
    """The group's known clients and the meeting's parties and presence, checked; errors go to `reader`."""
    client_ids = reader.ids("client_ids")
    if len(client_ids) > MAX_ATTENDEES:
        reader.fail("client_ids", N_("The number is out of range."))
    fields: dict[str, Any] = {"client_ids": [], "parties": "", "client_present": None}
    if kind == GROUP:
        fields["client_ids"] = sorted(set(client_ids) | ({client_id} if client_id is not None else set()))
        if reader.present("next_followup_on"):
            reader.fail("next_followup_on", N_("Add follow-ups of a group visit on each client's page."))
        if reader.present("refer_service_id"):
            reader.fail("refer_service_id", N_("Make referrals of a group visit on each client's page."))
    elif client_ids and set(client_ids) != {client_id} and not (client_id is None and len(client_ids) == 1):
        reader.fail("client_ids", N_("Only a group visit has several clients."))
    if kind == NETWORK_MEETING:
        fields["parties"] = reader.text("parties", MAX_PARTIES, required=True)
        fields["client_present"] = reader.flag("client_present") if "client_present" in reader.raw else True
        if anonymous:
            reader.fail("anonymous_count", N_("A network meeting is about one known client."))
    elif reader.present("parties"):
        fields["parties"] = reader.text("parties", MAX_PARTIES)
    return fields


def single_client(kind: str, client_id: int | None, raw_ids: list[int]) -> int | None:
    """A visit that is not a group may name its one client in `client_ids` too."""
    if kind != GROUP and client_id is None and len(raw_ids) == 1:
        return raw_ids[0]
    return client_id


async def require_attendees(walls: TeamScope, client_ids: list[int]) -> int:
    """The team of a group's known clients, all behind the walls; 404 if any is not (logged as a
    refused attempt at that team's client), 422 if they are of different teams (an admin's)."""
    rows = await walls.select(Client, Client.id, Client.team).where(Client.id.is_in(client_ids))
    found = {row["id"]: row["team"] for row in rows}
    missing = [client_id for client_id in client_ids if client_id not in found]
    if missing:
        for client_id in missing:
            await log_refused(walls, client_id, "group_visit")
        raise NotFoundException()
    teams = set(found.values())
    if len(teams) > 1:
        raise InvalidInput({"client_ids": N_("The clients of one group visit must be of one team.")})
    return teams.pop()


async def store_group_parts(
    walls: TeamScope,
    visit_pk: int,
    team_id: int,
    client_ids: list[int],
    kind: str,
    parties: str,
    client_present: bool | None,
) -> None:
    """Inside the visit's transaction: its attendees (each logged as written) and its meeting."""
    if client_ids:
        await VisitAttendee.insert(
            *[VisitAttendee(visit=visit_pk, client=client_id, team=team_id) for client_id in client_ids]
        )
        await chain.append(
            AccessLog,
            [
                use_row(walls, client_id, team_id, "group_visit", "create", f"visit:{visit_pk}")
                for client_id in client_ids
            ],
        )
    if kind == NETWORK_MEETING:
        await VisitMeeting.insert(
            VisitMeeting(visit=visit_pk, parties=parties, client_present=client_present is not False)
        )


async def group_parts(visit_pks: list[int]) -> dict[int, dict[str, Any]]:
    """Attendees, parties and presence of the given visits (those without any are left out)."""
    found: dict[int, dict[str, Any]] = {}
    if not visit_pks:
        return found
    marks = placeholders(len(visit_pks))
    # SQL written once per shape (server/db/prepared.py): every page of visits asks it.
    attendees = statement(f"SELECT visit, client FROM visit_attendee WHERE visit IN ({marks}) ORDER BY client")  # nosec B608 # placeholders only
    for row in await attendees.fetch(*visit_pks):
        found.setdefault(row["visit"], {}).setdefault("client_ids", []).append(row["client"])
    meetings = statement(f"SELECT visit, parties, client_present FROM visit_meeting WHERE visit IN ({marks})")  # nosec B608 # placeholders only
    for row in await meetings.fetch(*visit_pks):
        found.setdefault(row["visit"], {}).update(parties=row["parties"], client_present=row["client_present"])
    return found


def with_group_fields(visit: dict[str, Any], parts: dict[str, Any] | None) -> dict[str, Any]:
    """The public visit with `client_ids` (every known client at it), `parties` and `client_present`."""
    parts = parts or {}
    client_ids = parts.get("client_ids") or ([visit["client_id"]] if visit["client_id"] is not None else [])
    return {
        **visit,
        "client_ids": client_ids,
        "parties": parts.get("parties", ""),
        "client_present": parts.get("client_present"),
    }


def visit_clients(visits: list[dict[str, Any]]) -> list[int]:
    """Every known client of these visits: whose data a list of them shows (for the use log)."""
    return sorted(
        {
            client_id
            for visit in visits
            for client_id in visit.get("client_ids")
            or ([visit["client_id"]] if visit.get("client_id") is not None else [])
        }
    )


def attended_by(client_id: int):
    """Visits of the client: their own, and the group visits they were at."""
    return (Visit.client == client_id) | Visit.id.is_in(
        VisitAttendee.select(VisitAttendee.visit).where(VisitAttendee.client == client_id)
    )
