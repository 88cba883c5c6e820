"""Clients through the API and the pages: fields, bad input, escaping, walls, the access log."""

import pytest

from server.accounts.tables import Pair
from server.casework.tables import AccessLog, Client, ClientTheme
from tests.support.casework import api, make_client, patch_client
from tests.support.fixtures import login, post_form

pytestmark = pytest.mark.anyio

XSS = '<script>alert(1)</script>"><img src=x onerror=alert(1)>{{7*7}}'


async def test_a_client_made_by_a_worker_goes_to_the_workers_pair(client, world):
    await login(client, "alice@example.org")
    response = await api(
        client,
        "POST",
        "/api/v1/clients",
        {
            "pseudonym": "Jonttu",
            "birth_year": 1999,
            "themes": ["crime", "housing"],
            "came_from": "prison",
            "institution": "Vantaan vankila",
            "release_date": "2026-12-15",
            "release_type": "parole",
            "consent_data": True,
        },
    )
    assert response.status_code == 201, response.text
    created = response.json()
    pair = await Pair.select(Pair.id).first()
    assert created["pair_id"] == pair["id"] and created["team_id"] == world.team_a
    assert created["themes"] == ["housing", "crime"]  # in the canonical order
    assert created["release_date"] == "2026-12-15" and created["consent_data_at"] is not None
    assert created["status"] == "active"


async def test_patch_changes_only_what_is_sent(client, world):
    await login(client, "alice@example.org")
    created = (await api(client, "POST", "/api/v1/clients", {"pseudonym": "Jonttu", "phone": "040 123 4567"})).json()
    response = await patch_client(client, created["id"], {"status": "paused", "themes": ["health"]})
    assert response.status_code == 200
    changed = response.json()
    assert changed["status"] == "paused" and changed["phone"] == "040 123 4567" and changed["themes"] == ["health"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"pseudonym": "   "}, "pseudonym"),
        ({"pseudonym": "x" * 81}, "pseudonym"),
        ({"pseudonym": "Ok", "release_date": "2026-13-01"}, "release_date"),
        ({"pseudonym": "Ok", "birth_year": 1850}, "birth_year"),
        ({"pseudonym": "Ok", "birth_year": "nineteen"}, "birth_year"),
        ({"pseudonym": "Ok", "themes": ["housing", "unicorns"]}, "themes"),
        ({"pseudonym": "Ok", "status": "deleted"}, "status"),
        ({"pseudonym": "Ok", "phone": "call me maybe"}, "phone"),
        ({"pseudonym": "Ok", "release_type": "escape"}, "release_type"),
    ],
)
async def test_bad_client_input_is_refused_and_nothing_is_stored(client, world, body, field):
    await login(client, "alice@example.org")
    response = await api(client, "POST", "/api/v1/clients", body)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]
    assert await Client.count() == 0 and await ClientTheme.count() == 0


async def test_a_pair_of_another_team_cannot_be_chosen(client, world):
    from server.accounts.services import add_pair, add_user

    await add_user("dan@example.org", "experience_expert", "correct horse battery staple", "Team B", "Dan")
    other_pair = await add_pair("dave@example.org", "dan@example.org")
    await login(client, "alice@example.org")
    response = await api(client, "POST", "/api/v1/clients", {"pseudonym": "Ok", "pair_id": other_pair})
    assert response.status_code == 422
    assert await Client.count() == 0


async def test_what_a_person_typed_is_escaped_everywhere(client, world):
    await login(client, "alice@example.org")
    created = (await api(client, "POST", "/api/v1/clients", {"pseudonym": XSS[:80]})).json()
    assert created["pseudonym"] == XSS[:80]  # stored verbatim
    for path in (f"/clients/{created['id']}", "/clients?who=team"):
        html = (await client.get(path)).text
        assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "{{7*7}}" in html and "49" not in html.split("&lt;script&gt;")[1][:80]
    partial = await post_form(client, "/clients/search", {"q": "script", "who": "team"})
    assert "&lt;script&gt;" in partial.text and "<script>alert" not in partial.text


async def test_bidi_overrides_are_removed_and_names_are_nfc(client, world):
    await login(client, "alice@example.org")
    created = (await api(client, "POST", "/api/v1/clients", {"pseudonym": "Ma\u202ekke A\u0308"})).json()
    assert created["pseudonym"] == "Makke Ä"


async def test_search_is_a_post_and_finds_by_part_of_the_name(client, world):
    await make_client(world.team_a, "Rööperin Jani")
    await make_client(world.team_a, "Tupu")
    await make_client(world.team_a, "Äijä")
    await make_client(world.team_b, "Janina")
    await login(client, "alice@example.org")
    response = await post_form(client, "/clients/search", {"q": "jani", "who": "team"})
    assert "Rööperin Jani" in response.text and "Tupu" not in response.text and "Janina" not in response.text
    htmx = await client.post(
        "/clients/search",
        data={"q": "tup", "who": "team", "_csrf_token": client.cookies["csrftoken"]},
        headers={"HX-Request": "true"},
    )
    assert htmx.text.lstrip().startswith('<div id="client-list">') and "Tupu" in htmx.text
    assert "<html" not in htmx.text
    api_search = await api(client, "POST", "/api/v1/clients/search", {"q": "%up%"})
    assert api_search.status_code == 200 and [c["pseudonym"] for c in api_search.json()["items"]] == ["Tupu"]
    umlauts = await api(client, "POST", "/api/v1/clients/search", {"q": "a\u0308ija\u0308"})  # decomposed, lower
    assert [c["pseudonym"] for c in umlauts.json()["items"]] == ["Äijä"]
    nul = await post_form(client, "/clients/search", {"q": "a\x00", "who": "team"})
    assert nul.status_code == 200


async def test_lists_are_items_with_paging_and_filters(client, world):
    for n in range(5):
        await make_client(world.team_a, f"Asiakas {n}", status="active" if n % 2 else "closed")
    await login(client, "alice@example.org")
    page = (await client.get("/api/v1/clients?limit=2&offset=1")).json()
    assert page["total"] == 5 and len(page["items"]) == 2 and page["offset"] == 1
    active = (await client.get("/api/v1/clients?status=active")).json()
    assert active["total"] == 2
    assert (await client.get("/api/v1/clients?limit=100000")).status_code == 422


async def test_every_read_of_a_client_is_in_the_access_log(client, world):
    client_id = await make_client(world.team_a, "Make")
    await login(client, "alice@example.org")
    await client.get(f"/clients/{client_id}")
    await client.get(f"/api/v1/clients/{client_id}")
    await client.get(f"/clients/{client_id}/edit")
    rows = await AccessLog.select(AccessLog.what, AccessLog.user, AccessLog.role).order_by(AccessLog.id)
    assert [r["what"] for r in rows] == ["client_page", "api_client", "client_edit_form"]
    assert {r["user"] for r in rows} == {world.alice} and {r["role"] for r in rows} == {"professional"}


async def test_leads_see_the_access_log_and_workers_do_not(client, world):
    client_id = await make_client(world.team_a, "Make")
    await login(client, "alice@example.org")
    await client.get(f"/clients/{client_id}")
    assert (await client.get(f"/api/v1/clients/{client_id}/access-log")).status_code == 403
    assert (await client.get(f"/clients/{client_id}/access-log")).status_code == 403
    await post_form(client, "/logout")
    await login(client, "lena@example.org")
    log = (await client.get(f"/api/v1/clients/{client_id}/access-log")).json()
    assert log["items"][0]["user"] == "alice@example.org" and log["items"][0]["what"] == "client_page"
    page = await client.get(f"/clients/{client_id}/access-log")
    assert page.status_code == 200 and "Alice" in page.text


async def test_the_access_log_cannot_be_changed_through_any_route(client, world):
    client_id = await make_client(world.team_a, "Make")
    await login(client, "lena@example.org")
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        response = await api(client, method, f"/api/v1/clients/{client_id}/access-log", {})
        assert response.status_code == 405, method


async def test_the_page_form_refuses_an_empty_pseudonym_in_finnish(client, world):
    await login(client, "alice@example.org")
    response = await post_form(client, "/clients/new", {"pseudonym": " ", "themes": ["housing"], "status": "active"})
    assert response.status_code == 422
    assert "Tämä kenttä on pakollinen" in response.text
    assert await Client.count() == 0


async def test_the_page_form_creates_and_edits_a_client(client, world):
    await login(client, "alice@example.org")
    response = await post_form(
        client,
        "/clients/new",
        {
            "pseudonym": "Tupu",
            "themes": ["housing", "health"],
            "status": "active",
            "came_from": "street",
            "consent_data": "1",
        },
    )
    assert response.status_code == 303
    client_id = int(response.headers["location"].split("/")[2].split("?")[0])
    response = await post_form(
        client,
        f"/clients/{client_id}/edit",
        {"pseudonym": "Tupu K.", "status": "active", "came_from": "street", "version": "1"},
    )
    assert response.status_code == 303
    row = await Client.select(Client.pseudonym, Client.consent_data_at).where(Client.id == client_id).first()
    assert row["pseudonym"] == "Tupu K." and row["consent_data_at"] is None  # unticked: withdrawn
    assert await ClientTheme.count() == 0


async def test_a_worker_starts_from_the_pairs_caseload_and_can_see_the_whole_team(client, world):
    pair = await Pair.select(Pair.id).first()
    await make_client(world.team_a, "Parin Pete", pair["id"])
    await make_client(world.team_a, "Tiimin Tiina")
    await make_client(world.team_b, "Toisen Tero")
    await login(client, "alice@example.org")
    ours = (await client.get("/clients")).text
    assert "Parin Pete" in ours and "Tiimin Tiina" not in ours
    team = (await client.get("/clients?who=team")).text
    assert "Parin Pete" in team and "Tiimin Tiina" in team and "Toisen Tero" not in team
    await post_form(client, "/logout")
    await login(client, "lena@example.org")  # a lead without a pair sees the team
    lead = (await client.get("/clients")).text
    assert "Parin Pete" in lead and "Tiimin Tiina" in lead


@pytest.mark.parametrize(
    "path",
    [
        "/clients/3000000000",
        "/clients/9223372036854775808/edit",
        "/api/v1/clients/3000000000",
        "/api/v1/visits?client_id=3000000000",
        "/clients/1/access-log?offset=100000000000000000000000",
    ],
)
async def test_ids_beyond_any_database_row_answer_404_or_422_not_500(client, world, path):
    await login(client, "lena@example.org")
    assert (await client.get(path)).status_code in {404, 422}


async def test_moving_a_client_to_another_pair_moves_their_followups(client, world):
    from server.accounts.services import add_pair, add_user
    from server.casework.tables import FollowUp

    pair = await Pair.select(Pair.id).first()
    client_id = await make_client(world.team_a, "Make", pair["id"])
    await add_user("sari@example.org", "professional", "correct horse battery staple", "Team A", "Sari")
    await add_user("jari@example.org", "experience_expert", "correct horse battery staple", "Team A", "Jari")
    other_pair = await add_pair("sari@example.org", "jari@example.org")
    await login(client, "alice@example.org")
    await api(client, "POST", "/api/v1/followups", {"client_id": client_id, "due_at": "2026-11-20T09:00", "note": "x"})
    moved = await patch_client(client, client_id, {"pair_id": other_pair})
    assert moved.status_code == 200 and moved.json()["pair_id"] == other_pair
    assert (await FollowUp.select(FollowUp.pair).first())["pair"] == other_pair


async def test_a_patch_cannot_blank_the_status(client, world):
    client_id = await make_client(world.team_a, "Make", status="paused")
    await login(client, "alice@example.org")
    response = await patch_client(client, client_id, {"status": None})
    assert response.status_code == 422
    assert (await Client.select(Client.status).first())["status"] == "paused"
