"""A lead manages the team on /team: adds a member, makes and ends work pairs, and asks before a
phone is wiped. Leads act within their own teams only (the walls of server/scope.py: another
team's member or pair is 404); admins everywhere. Workers get 403 (requires_lead).

Ending a member's sessions "and wiping the phone" first shows a confirmation page
(server/accounts/team_routes.py, wipe_confirm.html).

A new member gets either a temporary password or an invitation link, shown once to the lead and
never stored readable (argon2id for the password, a SHA-256 of the link's token)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server.accounts import sessions
from server.accounts.passwords import hash_password_async, password_problem
from server.accounts.services import AccountError, normalise_email
from server.accounts.tables import Invitation, Pair, Role, Team, User
from server.accounts.team_routes import team_context
from server.i18n import N_
from server.scope import TeamScope, Walls
from server.settings import get_settings
from server.timeutil import utcnow
from server.validation import Reader
from server.web.forms import form_dict
from server.web.guards import requires_lead

INVITATION_DAYS = 7
MEMBER_ROLES = (Role.professional.value, Role.experience_expert.value, Role.lead.value)
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
PUBLIC = {"public": True}


class TeamFormError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__(", ".join(errors))
        self.errors = errors


def _token_hash(token: str) -> str:
    return sessions.hash_token(token)


def invitation_url(token: str) -> str:
    return f"{get_settings().base_url}/invite/{token}"


async def _team_page(walls: TeamScope, form: str, errors: dict[str, str], values: dict[str, Any]) -> Template:
    """/team again with a form's errors and what was typed (422): nothing was saved."""
    context = await team_context(walls)
    context.update(form=form, errors=errors, values=values)
    return Template("pages/team.html", status_code=422, context=context)


async def _new_member(walls: TeamScope, raw: dict[str, Any]) -> dict[str, Any]:
    reader = Reader(raw)
    name = reader.text("display_name", 120, required=True)
    email_typed = reader.text("email", 254, required=True)
    role = reader.choice("role", MEMBER_ROLES, default="")
    team_id = reader.row_id("team_id", required=True)
    how = reader.choice("how", ("password", "invitation"), default="invitation")
    if not role:
        reader.fail("role", N_("Not one of the allowed choices."))
    if team_id is not None and team_id not in walls.team_ids:
        reader.fail("team_id", N_("Not one of the allowed choices."))
    email = ""
    if email_typed:
        try:
            email = normalise_email(email_typed)
        except AccountError:
            reader.fail("email", N_("Not a valid email address."))
    reader.done()
    if await User.exists().where(User.email == email):
        raise TeamFormError({"email": N_("Someone already has this email address.")})
    return {"display_name": name, "email": email, "role": role, "team": team_id, "how": how}


@post("/team/members", guards=[requires_lead])
async def add_member(request: Request, walls: Walls) -> Template:
    raw = await form_dict(request)
    try:
        member = await _new_member(walls, raw)
    except (TeamFormError, ValueError) as problem:
        return await _team_page(walls, "member", getattr(problem, "errors", {}), raw)
    secret = secrets.token_urlsafe(12)  # the temporary password, or a password nobody knows
    user_id = (
        await User.insert(
            User(
                email=member["email"],
                display_name=member["display_name"],
                role=member["role"],
                team=member["team"],
                password_hash=await hash_password_async(secret),
                password_change_due=member["how"] == "password",
            )
        )
    )[0]["id"]
    shown: dict[str, str] = {}
    if member["how"] == "password":
        shown["password"] = secret
    else:
        token = secrets.token_urlsafe(32)
        await Invitation.insert(
            Invitation(
                token_hash=_token_hash(token),
                user=user_id,
                created_by=walls.user.id,
                expires_at=utcnow() + timedelta(days=INVITATION_DAYS),
            )
        )
        shown["link"] = invitation_url(token)
    team = await Team.select(Team.name).where(Team.id == member["team"]).first()
    assert team is not None  # the member was just added to it
    return Template(
        "pages/member_added.html",
        headers=NO_STORE,
        context={"member": member, "team_name": team["name"], "shown": shown, "days": INVITATION_DAYS},
    )


@post("/team/pairs", guards=[requires_lead])
async def make_pair(request: Request, walls: Walls) -> Template | Redirect:
    raw = await form_dict(request)
    reader = Reader(raw)
    first_id = reader.row_id("first_member", required=True)
    second_id = reader.row_id("second_member", required=True)
    try:
        reader.done()
        pair_id = await _pair_up(walls, first_id, second_id)  # type: ignore[arg-type]
    except (TeamFormError, ValueError) as problem:
        return await _team_page(walls, "pair", getattr(problem, "errors", {}), raw)
    return Redirect(f"/team?saved=pair&pair={pair_id}#pairs", status_code=303)


async def _pair_up(walls: TeamScope, first_id: int, second_id: int) -> int:
    members = await walls.select(User, User.id, User.team, User.role, User.is_active).where(
        User.id.is_in([first_id, second_id])
    )
    workers = [m for m in members if m["is_active"] and m["role"] in ("professional", "experience_expert")]
    if first_id == second_id:
        raise TeamFormError({"second_member": N_("A pair needs two different people.")})
    if len(workers) != 2:
        raise TeamFormError({"second_member": N_("Not one of the allowed choices.")})
    if workers[0]["team"] != workers[1]["team"]:
        raise TeamFormError({"second_member": N_("Both members of a pair must belong to the same team.")})
    busy = await Pair.exists().where(
        Pair.ended_at.is_null()
        & (Pair.first_member.is_in([first_id, second_id]) | Pair.second_member.is_in([first_id, second_id]))
    )
    if busy:
        raise TeamFormError({"second_member": N_("One of them already works in a pair. End that pair first.")})
    rows = await Pair.insert(Pair(team=workers[0]["team"], first_member=first_id, second_member=second_id))
    return rows[0]["id"]


@post("/team/pairs/{pair_id:int}/end", guards=[requires_lead])
async def end_pair(walls: Walls, pair_id: FromPath[int]) -> Redirect:
    """The pair ends; their clients keep the pair until the lead moves them (client form)."""
    await walls.get(Pair, pair_id, Pair.id)
    await Pair.update({Pair.ended_at: utcnow()}).where(
        (Pair.id == pair_id) & Pair.ended_at.is_null() & walls.condition(Pair)
    )
    return Redirect("/team?saved=pair_ended#pairs", status_code=303)


async def _invitation(token: str) -> dict[str, Any]:
    if not 20 <= len(token) <= 100:
        raise NotFoundException()
    row = await (
        Invitation.select(
            Invitation.id,
            Invitation.user,
            Invitation.user.email.as_alias("email"),
            Invitation.user.display_name.as_alias("display_name"),
        )
        .where(
            (Invitation.token_hash == _token_hash(token))
            & Invitation.used_at.is_null()
            & (Invitation.expires_at > utcnow())
            & (Invitation.user.is_active == True)  # noqa: E712 - a SQL condition
        )
        .first()
    )
    if row is None:
        raise NotFoundException()  # used, expired or never made: the same answer
    return row


@get("/invite/{token:str}", opt=PUBLIC)
async def invitation_page(token: FromPath[str]) -> Template:
    invitation = await _invitation(token)
    return Template(
        "pages/invitation.html", headers=NO_STORE, context={"invitation": invitation, "token": token, "errors": {}}
    )


@post("/invite/{token:str}", opt=PUBLIC)
async def accept_invitation(request: Request, token: FromPath[str]) -> Template | Redirect:
    """The member sets their password (argon2id); the link is then used up."""
    invitation = await _invitation(token)
    raw = await form_dict(request)
    password, again = str(raw.get("password", "")), str(raw.get("password_again", ""))
    problem = password_problem(password, invitation["email"])
    if not problem and password != again:
        problem = N_("The two passwords differ.")
    if problem:
        return Template(
            "pages/invitation.html",
            status_code=422,
            headers=NO_STORE,
            context={"invitation": invitation, "token": token, "errors": {"password": problem}},
        )
    used = (
        await Invitation.update({Invitation.used_at: utcnow()})
        .where((Invitation.id == invitation["id"]) & Invitation.used_at.is_null())
        .returning(Invitation.id)
    )
    if not used:
        raise NotFoundException()  # the same link sent twice at once: only the first sets it
    await User.update({User.password_hash: await hash_password_async(password)}).where(User.id == invitation["user"])
    await sessions.revoke_sessions(invitation["user"])
    return Redirect("/login?saved=password", status_code=303)


ROUTES = [add_member, make_pair, end_pair, invitation_page, accept_invitation]
