"""The client's log report (asiakastietolaki 703/2023 §11): for one client and a period, who
processed their data, on what basis, and what was disclosed to whom."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from server.audit.tables import DisclosureLog
from server.audit.uselog import log_client_read
from server.casework.clients import require_client
from server.casework.tables import AccessLog
from server.i18n import N_
from server.scope import TeamScope
from server.timeutil import local_today, local_zone
from server.validation import InvalidInput, Reader

DEFAULT_YEARS = 2


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive, in Helsinki days

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        zone = local_zone()
        return (
            datetime.combine(self.start, time(), zone),
            datetime.combine(self.end + timedelta(days=1), time(), zone),
        )


def read_period(start: str | None, end: str | None) -> Period:
    """`from` and `to` as ISO dates; by default the last two years up to today."""
    reader = Reader({"from": start or "", "to": end or ""})
    first, last = reader.day("from"), reader.day("to")
    reader.done()
    last = last or local_today()
    first = first or last.replace(year=last.year - DEFAULT_YEARS, day=min(last.day, 28))
    if first > last:
        raise InvalidInput({"from": N_("The start must not be after the end.")})
    return Period(first, last)


async def uses_of(client_id: int, period: Period) -> list[dict[str, Any]]:
    """Each use with the reader's own team (not the client's) and the real basis."""
    start, end = period.bounds
    rows = await (
        AccessLog.select(
            AccessLog.at,
            AccessLog.user.display_name.as_alias("user"),
            AccessLog.role,
            AccessLog.team.as_alias("client_team"),
            AccessLog.user.team.as_alias("user_team"),
            AccessLog.user.team.name.as_alias("team"),  # type: ignore[union-attr]  # Piccolo: untyped join
            AccessLog.action,
            AccessLog.what,
            AccessLog.object,
            AccessLog.basis,
            AccessLog.reason,
            AccessLog.outcome,
        )
        .where((AccessLog.client == client_id) & (AccessLog.at >= start) & (AccessLog.at < end))
        .order_by(AccessLog.at)
        .order_by(AccessLog.id)
    )
    for row in rows:
        row["basis"] = _real_basis(row)
    return rows


def _real_basis(row: dict[str, Any]) -> str:
    """Rows written before the use log named these bases said "team" for them: a refused attempt
    from another team, and an administrator reading a team they are not in."""
    if row["basis"] != "team":
        return row["basis"]
    if row["outcome"] == "denied":
        return "refused"
    if row["role"] == "admin" and row["user_team"] != row["client_team"]:
        return "admin"
    return "team"


async def disclosures_of(client_id: int, period: Period) -> list[dict[str, Any]]:
    start, end = period.bounds
    return await (
        DisclosureLog.select(
            DisclosureLog.at,
            DisclosureLog.user.display_name.as_alias("user"),
            DisclosureLog.role,
            DisclosureLog.recipient,
            DisclosureLog.basis,
            DisclosureLog.categories,
            DisclosureLog.what,
        )
        .where((DisclosureLog.client == client_id) & (DisclosureLog.at >= start) & (DisclosureLog.at < end))
        .order_by(DisclosureLog.at)
        .order_by(DisclosureLog.id)
    )


def who_processed(uses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per person, role and basis: how many times, first and last, which actions."""
    people: dict[tuple, dict[str, Any]] = {}
    for use in uses:
        key = (use["user"], use["role"], use["team"], use["basis"], use["outcome"])
        person = people.setdefault(
            key,
            {
                "user": use["user"],
                "role": use["role"],
                "team": use["team"],
                "basis": use["basis"],
                "outcome": use["outcome"],
                "count": 0,
                "first": use["at"],
                "last": use["at"],
                "actions": [],
            },
        )
        person["count"] += 1
        person["last"] = use["at"]
        if use["action"] not in person["actions"]:
            person["actions"].append(use["action"])
    return sorted(people.values(), key=lambda person: person["first"])


async def make_report(walls: TeamScope, client_id: int, period: Period, what: str) -> dict[str, Any]:
    """The report a worker of the client's team makes when the client asks (any worker: knowing
    this is the client's right). Making it reads the client's data, so it is logged first, and the
    report itself shows that it was made. Another team's client is 404, as everywhere."""
    client = await require_client(walls, client_id)
    await log_client_read(walls, client_id, client["team"], what, action="report")
    return await log_report(client_id, period)


async def log_report(client_id: int, period: Period) -> dict[str, Any]:
    uses = await uses_of(client_id, period)
    return {
        "client_id": client_id,
        "from": period.start,
        "to": period.end,
        "uses": uses,
        "people": who_processed(uses),
        "disclosures": await disclosures_of(client_id, period),
    }


def report_json(report: dict[str, Any]) -> dict[str, Any]:
    """The API's shape: lists of `uses` and `disclosures`; `user` is the worker's name (empty for
    the server's command line)."""
    return {
        "client_id": report["client_id"],
        "from": report["from"].isoformat(),
        "to": report["to"].isoformat(),
        "uses": [
            {
                "at": use["at"],
                "user": use["user"] or "",
                "role": use["role"],
                "team": use["team"],
                "action": use["action"],
                "object": use["object"],
                "basis": use["basis"],
                "reason": use["reason"],
                "outcome": use["outcome"],
            }
            for use in report["uses"]
        ],
        "disclosures": [
            {
                "at": item["at"],
                "user": item["user"] or "",
                "role": item["role"],
                "recipient": item["recipient"],
                "basis": item["basis"],
                "categories": [c for c in item["categories"].split(",") if c],
            }
            for item in report["disclosures"]
        ],
    }
