"""Team walls in one place: every query of team data goes through a TeamScope.

A worker and a lead see their own team; an admin sees every team of the organisation (one
installation serves one organisation). The walls are built from the signed-in user by
`server.accounts.sessions.scope_for`. A row outside the scope answers 404, exactly like a row
that does not exist, so ids of other teams cannot even be confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from piccolo.custom_types import Combinable
from piccolo.table import Table

MAX_ID = 2**31 - 1  # PostgreSQL serial ids are 32-bit


@dataclass(frozen=True)
class CurrentUser:
    """Who is asking: the signed-in user as their session found them (server/accounts/sessions.py)."""

    id: int
    email: str
    display_name: str
    role: str
    team_id: int | None
    team_name: str | None
    language: str
    session_id: int
    pair_id: int | None = None
    partner_id: int | None = None
    partner_name: str | None = None
    has_second_factor: bool = False
    password_change_due: bool = False

    @property
    def is_lead(self) -> bool:
        return self.role in {"lead", "admin"}

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class TeamScope:
    user: CurrentUser
    team_ids: tuple[int, ...]
    # Set only on the read-only scope that break-the-glass opens to one client of another team
    # (server.audit.glass); every use under it is logged with this reason.
    glass_reason: str = ""
    # The request came from another site (Sec-Fetch-Site: cross-site): a link or redirect there
    # may have sent the user here without their knowing, so a refusal is not logged in their name.
    cross_site: bool = False

    @property
    def basis(self) -> str:
        """Why this user may process the data, as the use log records it."""
        return "break_glass" if self.glass_reason else "team"

    def team_id_list(self) -> list[int]:
        """The ids of these teams for an SQL `IN`: [-1] (no team has it) when there are none, as an
        empty `IN` is refused by Piccolo."""
        return list(self.team_ids) or [-1]

    def condition(self, table: type[Table]) -> Combinable:
        # An empty scope matches nothing (is_in([]) is refused by Piccolo).
        return table.team.is_in(self.team_id_list())  # type: ignore[attr-defined]

    def select(self, table: type[Table], *columns: Any):
        return table.select(*columns).where(self.condition(table))

    def narrowed(self, team_id: int | None) -> TeamScope:
        """The same walls around one of its teams (a lead's or admin's team filter); another team
        narrows to nothing, exactly as if it did not exist."""
        if team_id is None:
            return self
        return TeamScope(user=self.user, team_ids=(team_id,) if team_id in self.team_ids else ())

    def filtered(self, team: str) -> TeamScope:
        """A `?team=` filter as typed: empty keeps every team of the walls; anything that is not
        one of them (another team, not a number) narrows to nothing."""
        team = team.strip()
        if not team:
            return self
        return self.narrowed(int(team) if team.isdigit() and len(team) < 10 else -1)

    async def get(self, table: type[Table], row_id: int, *columns: Any) -> dict:
        """One row of this scope as a dict, or 404 (also for ids no database row can have)."""
        if not 1 <= row_id <= MAX_ID:
            raise NotFoundException()
        row = await self.select(table, *columns).where(table._meta.primary_key == row_id).first()
        if row is None:
            raise NotFoundException()
        return row


# How a handler asks for the scope: `walls: Walls` (provided once, app-wide, in server.app).
Walls = NamedDependency[TeamScope]
