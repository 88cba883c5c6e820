"""The lead manages the team on /team: members, invitations, pairs, and a wipe that asks first."""

import re

import pytest

from server.accounts.passwords import verify_password
from server.accounts.tables import Invitation, Pair, User, UserSession
from tests.support.fixtures import PASSWORD, login, post_form

pytestmark = pytest.mark.anyio


def _shown(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">([^<]+)<', html)
    assert match, element_id
    return match.group(1).strip()


async def test_a_lead_adds_a_member_with_an_invitation_link_that_works_once(client, world):
    await login(client, "lena@example.org")
    answer = await post_form(
        client,
        "/team/members",
        {
            "display_name": "Mira",
            "email": "Mira@Example.org",
            "role": "experience_expert",
            "team_id": world.team_a,
            "how": "invitation",
        },
    )
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    link = _shown(answer.text, "invitation-link")
    token = link.rsplit("/invite/", 1)[1]
    row = (
        await User.select(User.id, User.team, User.role, User.password_hash)
        .where(User.email == "mira@example.org")
        .first()
    )
    assert row["team"] == world.team_a and row["role"] == "experience_expert"
    assert token not in str(await Invitation.select())  # only a hash is kept
    client.cookies.clear()
    page = await client.get(f"/invite/{token}")
    assert page.status_code == 200 and "Mira" in page.text
    short = await post_form(client, f"/invite/{token}", {"password": "short", "password_again": "short"})
    assert short.status_code == 422
    new = "vihreä polkupyörä sateessa"
    differ = await post_form(client, f"/invite/{token}", {"password": new, "password_again": new + "x"})
    assert differ.status_code == 422
    done = await post_form(client, f"/invite/{token}", {"password": new, "password_again": new})
    assert done.status_code == 303
    stored = (await User.select(User.password_hash).where(User.id == row["id"]).first())["password_hash"]
    assert stored.startswith("$argon2id$") and verify_password(stored, new)
    assert (await client.get(f"/invite/{token}")).status_code == 404  # used up
    assert (
        await post_form(
            client, f"/invite/{token}", {"password": "toinen salasana tässä", "password_again": "toinen salasana tässä"}
        )
    ).status_code == 404
    assert (await login(client, "mira@example.org", new)).status_code == 303


async def test_a_temporary_password_is_shown_once_and_logs_in(client, world):
    await login(client, "lena@example.org")
    answer = await post_form(
        client,
        "/team/members",
        {
            "display_name": "Pekka",
            "email": "pekka@example.org",
            "role": "professional",
            "team_id": world.team_a,
            "how": "password",
        },
    )
    password = _shown(answer.text, "temporary-password")
    assert password not in (await client.get("/team")).text
    client.cookies.clear()
    assert (await login(client, "pekka@example.org", password)).status_code == 303


@pytest.mark.parametrize(
    "body, field",
    [
        ({"display_name": "", "email": "x@example.org", "role": "professional"}, "display_name"),
        ({"display_name": "X", "email": "not an email", "role": "professional"}, "email"),
        ({"display_name": "X", "email": "alice@example.org", "role": "professional"}, "email"),
        ({"display_name": "X", "email": "x@example.org", "role": "admin"}, "role"),
        ({"display_name": "X", "email": "x@example.org", "role": "professional", "team_id": "other"}, "team_id"),
    ],
)
async def test_bad_member_input_shows_the_form_again_and_adds_nobody(client, world, body, field):
    await login(client, "lena@example.org")
    body = {"team_id": world.team_a, **body}
    if body["team_id"] == "other":
        body["team_id"] = world.team_b  # another team's: not one of the lead's choices
    before = await User.count()
    answer = await post_form(client, "/team/members", body)
    assert answer.status_code == 422 and f'id="{field}-error"' in answer.text
    assert await User.count() == before


async def test_a_lead_makes_and_ends_pairs_and_sees_them_on_the_team_page(client, world):
    from server.accounts.services import add_user

    await add_user("eeva@example.org", "professional", PASSWORD, "Team A", "Eeva")
    await add_user("jari@example.org", "experience_expert", PASSWORD, "Team A", "Jari")
    ids = {row["email"]: row["id"] for row in await User.select(User.id, User.email)}
    await login(client, "lena@example.org")
    busy = await post_form(
        client, "/team/pairs", {"first_member": ids["eeva@example.org"], "second_member": ids["alice@example.org"]}
    )
    assert busy.status_code == 422  # Alice already works with Bob
    made = await post_form(
        client, "/team/pairs", {"first_member": ids["eeva@example.org"], "second_member": ids["jari@example.org"]}
    )
    assert made.status_code == 303
    team = (await client.get("/team")).text
    assert "Eeva – Jari" in team and "Alice – Bob" in team
    pair = await Pair.select(Pair.id).where(Pair.first_member == ids["eeva@example.org"]).first()
    assert (await post_form(client, f"/team/pairs/{pair['id']}/end")).status_code == 303
    assert "Eeva – Jari" not in (await client.get("/team")).text
    assert (await Pair.select(Pair.ended_at).where(Pair.id == pair["id"]).first())["ended_at"] is not None


async def test_a_lead_cannot_pair_or_reach_another_teams_people(client, world):
    from server.accounts.services import add_pair, add_user

    await add_user("erik@example.org", "experience_expert", PASSWORD, "Team B", "Erik")
    team_b_pair = await add_pair("dave@example.org", "erik@example.org")
    await login(client, "lena@example.org")
    assert (await post_form(client, f"/team/pairs/{team_b_pair}/end")).status_code == 404
    assert (await post_form(client, f"/team/members/{world.dave}/end-sessions", {"wipe": "1"})).status_code == 404
    refused = await post_form(client, "/team/pairs", {"first_member": world.dave, "second_member": world.alice})
    assert refused.status_code == 422
    assert (await Pair.select(Pair.ended_at).where(Pair.id == team_b_pair).first())["ended_at"] is None


async def test_workers_get_403_for_every_team_action(client, world):
    await login(client, "alice@example.org")
    pair = (await Pair.select(Pair.id).first())["id"]
    for path, body in (
        ("/team/members", {"display_name": "X", "email": "x@example.org", "role": "lead", "team_id": world.team_a}),
        ("/team/pairs", {"first_member": world.alice, "second_member": world.bob}),
        (f"/team/pairs/{pair}/end", {}),
        (f"/team/members/{world.bob}/end-sessions", {"wipe": "1", "confirm": "1"}),
    ):
        assert (await post_form(client, path, body)).status_code == 403, path
    assert await User.count() == 5 and (await Pair.select(Pair.ended_at).first())["ended_at"] is None


async def test_wiping_asks_first_names_the_person_then_says_what_happened(client, world):
    await login(client, "bob@example.org")
    client.cookies.clear()
    await login(client, "lena@example.org")
    client.cookies.set("lang", "en", domain="testserver.local")
    asked = await post_form(client, f"/team/members/{world.bob}/end-sessions", {"wipe": "1"})
    assert asked.status_code == 200
    assert "Bob" in asked.text and "Visits still waiting on that phone are lost" in asked.text
    assert await UserSession.count().where((UserSession.user == world.bob) & UserSession.revoked_at.is_null()) == 1
    done = await post_form(client, f"/team/members/{world.bob}/end-sessions", {"wipe": "1", "confirm": "1"})
    assert done.status_code == 303
    told = (await client.get(done.headers["location"])).text
    assert "1 session of Bob ended" in told and "deletes Rinnalla" in told
    assert await UserSession.count().where((UserSession.user == world.bob) & UserSession.revoked_at.is_null()) == 0
    assert await UserSession.exists().where((UserSession.user == world.bob) & (UserSession.wipe == True))  # noqa: E712
