"""The lead's and admin's view of the team: who is in it, and locking out a lost phone."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server.accounts import sessions
from server.accounts.services import disable_user
from server.accounts.tables import Team, User, UserSession
from server.scope import TeamScope, Walls
from server.timeutil import utcnow
from server.web.guards import requires_lead


async def _member_in_scope(walls: TeamScope, user_id: int) -> dict:
    row = await walls.select(User, User.id, User.email, User.team, User.role).where(User.id == user_id).first()
    if row is None:
        raise NotFoundException()
    return row


@get("/team", guards=[requires_lead], name="team")
async def team_page(request: Request, walls: Walls) -> Template:
    members = await (
        walls.select(User, User.id, User.display_name, User.email, User.role, User.is_active,
                     User.team.name.as_alias("team_name"))
        .order_by(User.team).order_by(User.display_name)
    )
    now = utcnow()
    live = await UserSession.select(UserSession.user).where(
        UserSession.revoked_at.is_null() & (UserSession.expires_at > now)
        & UserSession.user.is_in([m["id"] for m in members] or [-1])
    )
    counts: dict[int, int] = {}
    for row in live:
        counts[row["user"]] = counts.get(row["user"], 0) + 1
    for member in members:
        member["sessions"] = counts.get(member["id"], 0)
    teams = await Team.select(Team.id, Team.name).where(Team.id.is_in(list(walls.team_ids) or [-1]))
    return Template(template_name="pages/team.html", context={"members": members, "teams": teams})


@post("/team/members/{user_id:int}/end-sessions", guards=[requires_lead])
async def end_member_sessions(walls: Walls, user_id: FromPath[int]) -> Redirect:
    await _member_in_scope(walls, user_id)
    await sessions.revoke_sessions(user_id)
    return Redirect(path="/team", status_code=303)


@post("/team/members/{user_id:int}/disable", guards=[requires_lead])
async def disable_member(request: Request, walls: Walls, user_id: FromPath[int]) -> Redirect:
    if not request.user.is_admin:
        raise PermissionDeniedException()
    member = await _member_in_scope(walls, user_id)
    if member["id"] == request.user.id:
        raise PermissionDeniedException()  # an admin cannot lock themselves out by a slip
    await disable_user(member["email"])
    return Redirect(path="/team", status_code=303)


ROUTES = [team_page, end_member_sessions, disable_member]
