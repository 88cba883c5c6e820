"""The lead's and admin's view of the team: who is in it, and locking out a lost phone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, delete, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from server.accounts import sessions
from server.accounts.services import disable_user
from server.accounts.tables import Pair, Team, User
from server.rhythm.hours import PAY_BASES, terms_of
from server.scope import TeamScope, Walls
from server.web.guards import requires_admin, requires_lead
from server.web.labels import label


async def team_context(walls: TeamScope) -> dict[str, Any]:
    """What /team shows: members, the pairs working now, and the forms to add and pair people."""
    members = await (
        walls.select(
            User,
            User.id,
            User.display_name,
            User.email,
            User.role,
            User.is_active,
            User.team.name.as_alias("team_name"),
            User.team.as_alias("team_id"),
        )
        .order_by(User.team)
        .order_by(User.display_name)
    )
    counts = await sessions.live_session_counts([m["id"] for m in members])
    for member in members:
        member["sessions"] = counts.get(member["id"], 0)
        member["terms"] = await terms_of(member["id"])
    teams = await Team.select(Team.id, Team.name).where(Team.id.is_in(walls.team_id_list()))
    pairs = await (
        walls.select(
            Pair,
            Pair.id,
            Pair.team,
            Pair.created_at,
            Pair.first_member.display_name.as_alias("first"),
            Pair.second_member.display_name.as_alias("second"),
        )
        .where(Pair.ended_at.is_null())
        .order_by(Pair.id)
    )
    paired = {
        row[key]
        for row in await walls.select(Pair, Pair.first_member, Pair.second_member).where(Pair.ended_at.is_null())
        for key in ("first_member", "second_member")
    }
    unpaired = [
        m
        for m in members
        if m["is_active"] and m["id"] not in paired and m["role"] in ("professional", "experience_expert")
    ]
    return {
        "members": members,
        "teams": teams,
        "pairs": pairs,
        "unpaired": unpaired,
        "pay_choices": [(b, label("pay_basis", b)) for b in PAY_BASES],
        "role_choices": [(r, label("role", r)) for r in ("professional", "experience_expert", "lead")],
        "form": "",
        "errors": {},
        "values": {},
    }


@get("/team", guards=[requires_lead], name="team")
async def team_page(
    request: Request,
    walls: Walls,
    saved: FromQuery[str] = "",
    ended: FromQuery[int] = 0,
    wiped: FromQuery[int] = 0,
    count: FromQuery[int] = 0,
) -> Template:
    context = await team_context(walls)
    # What the last action did, said with the person's name (ids only in the address).
    ended_member = next((m for m in context["members"] if m["id"] == ended), None)
    context.update(
        saved=saved if saved in ("pair", "pair_ended") else "",
        ended_member=ended_member,
        wiped=bool(wiped),
        ended_count=max(0, min(count, 1000)),
    )
    return Template(template_name="pages/team.html", context=context)


async def wipe_confirmation(walls: TeamScope, user_id: int) -> Template:
    member = await walls.get(User, user_id, User.id, User.display_name, User.team.name.as_alias("team_name"))
    return Template("pages/wipe_confirm.html", context={"member": member})


@dataclass
class EndSessionsForm:
    wipe: str = ""
    confirm: str = ""


@post("/team/members/{user_id:int}/end-sessions", guards=[requires_lead])
async def end_member_sessions(
    walls: Walls,
    user_id: FromPath[int],
    data: Annotated[EndSessionsForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Redirect | Template:
    """End every session of a member; with `wipe=1` only after the confirmation page (`confirm=1`),
    which names the person and says that visits waiting on their phone are lost."""
    await walls.get(User, user_id, User.id)
    wipe = data.wipe == "1"
    if wipe and data.confirm != "1":
        return await wipe_confirmation(walls, user_id)
    ended = await sessions.revoke_sessions(user_id, wipe=wipe)
    return Redirect(path=f"/team?ended={user_id}&wiped={int(wipe)}&count={ended}#member-{user_id}", status_code=303)


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
