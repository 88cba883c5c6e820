"""The lead's and admin's view of the team: who is in it, and locking out a lost phone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Request, delete, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from server.accounts import sessions
from server.rhythm.hours import PAY_BASES, terms_of
from server.web.labels import label
from server.accounts.services import disable_user
from server.accounts.tables import Team, User
from server.scope import Walls
from server.web.guards import requires_admin, requires_lead


@get("/team", guards=[requires_lead], name="team")
async def team_page(request: Request, walls: Walls) -> Template:
    members = await (
        walls.select(User, User.id, User.display_name, User.email, User.role, User.is_active,
                     User.team.name.as_alias("team_name"))
        .order_by(User.team).order_by(User.display_name)
    )
    counts = await sessions.live_session_counts([m["id"] for m in members])
    for member in members:
        member["sessions"] = counts.get(member["id"], 0)
        member["terms"] = await terms_of(member["id"])
    teams = await Team.select(Team.id, Team.name).where(Team.id.is_in(list(walls.team_ids) or [-1]))
    return Template(template_name="pages/team.html", context={
        "members": members, "teams": teams, "pay_choices": [(b, label("pay_basis", b)) for b in PAY_BASES]})


@dataclass
class EndSessionsForm:
    wipe: str = ""


@post("/team/members/{user_id:int}/end-sessions", guards=[requires_lead])
async def end_member_sessions(walls: Walls, user_id: FromPath[int],
                              data: Annotated[EndSessionsForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
                              ) -> Redirect:
    await walls.get(User, user_id, User.id)
    await sessions.revoke_sessions(user_id, wipe=data.wipe == "1")
    return Redirect(path="/team", status_code=303)


@post("/team/members/{user_id:int}/disable", guards=[requires_admin])
async def disable_member(request: Request, walls: Walls, user_id: FromPath[int]) -> Redirect:
    member = await walls.get(User, user_id, User.id, User.email)
    if member["id"] == request.user.id:
        raise PermissionDeniedException()  # an admin cannot lock themselves out by a slip
    await disable_user(member["email"])
    return Redirect(path="/team", status_code=303)


@delete("/api/v1/users/{email:str}/sessions", guards=[requires_lead], status_code=200)
async def end_sessions_api(walls: Walls, email: FromPath[str], wipe: FromQuery[bool] = False) -> dict[str, int | bool]:
    """A lost phone: every session of a user of the lead's teams ends; 404 for anyone else.
    `?wipe=true`: the phone also deletes its cached data and waiting visits on its next contact
    (the answer then says `"wipe": true`)."""
    member = await walls.select(User, User.id).where(User.email == email.strip().lower()).first()
    if member is None:
        raise NotFoundException()
    ended = await sessions.revoke_sessions(member["id"], wipe=wipe)
    return {"ended": ended, "wipe": True} if wipe else {"ended": ended}


ROUTES = [team_page, end_member_sessions, disable_member, end_sessions_api]
