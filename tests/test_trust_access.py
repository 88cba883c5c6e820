"""Issue 19 (trust), the access items: no lockout by a stranger, no listing of other teams'
clients, leads within their teams, a lost phone that goes quiet, client links, cross-site reads.
Each test here failed on 0.3.0."""

from __future__ import annotations

import pytest

from server.casework.tables import AccessLog
from tests.support.casework import make_client
from tests.support.fixtures import unmasked
from tests.test_client_link import _link

pytestmark = pytest.mark.anyio


# --- 8: client links ---------------------------------------------------------------------------


async def test_a_client_link_page_keeps_its_no_referrer_policy(client, world):
    path, _client_id = await _link(client, world)
    page = await client.get(path)
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"
    assert (await client.get("/login")).headers["referrer-policy"] == "same-origin"


async def test_wrong_link_tokens_slow_the_address_but_a_right_token_gets_through(client, world):
    path, _client_id = await _link(client, world)
    for attempt in range(10):
        assert (await client.get(f"/r/{'x' * 43}{attempt}")).status_code == 404
    wrong = await client.get(f"/r/{'x' * 43}z")
    assert wrong.status_code == 429 and int(wrong.headers["retry-after"]) > 0
    # The client on the same shelter Wi-Fi opens their own link all the same.
    assert (await client.get(path)).status_code == 200


# --- 9: a cross-site navigation does not frame a worker -----------------------------------------


@pytest.mark.parametrize("path", ["/clients/{id}", "/clients/{id}/edit", "/api/v1/clients/{id}"])
async def test_a_cross_site_link_to_another_teams_client_leaves_no_denied_row_in_the_workers_name(client, world, path):
    from tests.support.fixtures import login

    client_id = await make_client(world.team_a, "Make")
    await login(client, "dave@example.org")
    # A page elsewhere links (or redirects) Dave's browser to team A's client: Dave did nothing.
    framed = await client.get(
        path.format(id=client_id), headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
    )
    assert framed.status_code == 404 and "Make" not in framed.text
    assert await AccessLog.count() == 0
    # Dave himself trying (typed, or from a page of ours) is still refused and logged.
    tried = await client.get(path.format(id=client_id), headers={"Sec-Fetch-Site": "same-origin"})
    assert tried.status_code == 404
    rows = await AccessLog.select(AccessLog.user, AccessLog.outcome).where(AccessLog.client == client_id)
    assert rows == [{"user": world.dave, "outcome": "denied"}]


# --- 7: a lost phone goes quiet ------------------------------------------------------------------


async def test_logging_a_user_out_with_wipe_stops_their_calendar_feed(client, world):
    from server.accounts.services import log_out_everywhere
    from tests.support.fixtures import login, post_form

    await login(client, "alice@example.org")
    page = await post_form(client, "/settings/calendar")
    feed = "/calendar/" + page.text.split("/calendar/", 1)[1].split('"', 1)[0]
    client.cookies.clear()
    assert (await client.get(feed)).status_code == 200
    await log_out_everywhere("alice@example.org", wipe=True)  # rinnalla user logout --wipe
    assert (await client.get(feed)).status_code == 404


async def test_the_leads_wipe_stops_the_calendar_feed_too(client, world):
    from tests.support.fixtures import login, post_form

    await login(client, "alice@example.org")
    page = await post_form(client, "/settings/calendar")
    feed = "/calendar/" + page.text.split("/calendar/", 1)[1].split('"', 1)[0]
    client.cookies.clear()
    await login(client, "lena@example.org")
    await post_form(client, f"/team/members/{world.alice}/end-sessions", {"wipe": "1", "confirm": "1"})
    assert (await client.get(feed)).status_code == 404


async def test_a_wipe_reaches_a_phone_by_its_id_after_its_cookie_expired(client, world):
    import uuid

    from server.accounts.sessions import revoke_sessions
    from tests.support.casework import api
    from tests.support.fixtures import login

    phone_id, other_id = str(uuid.uuid4()), str(uuid.uuid4())
    await login(client, "alice@example.org")
    assert (await api(client, "POST", "/api/v1/device/key", {"device_id": phone_id})).status_code == 200
    client.cookies.delete("rinnalla_session")  # the cookie expired on the phone
    assert (await api(client, "POST", "/api/v1/device/wipe-check", {"device_id": phone_id})).status_code == 204
    await revoke_sessions(world.alice, wipe=True)  # the lead: "End sessions and wipe the phone"
    asked = await api(client, "POST", "/api/v1/device/wipe-check", {"device_id": phone_id})
    assert asked.status_code == 401 and asked.headers["x-rinnalla-wipe"] == "1"
    assert "storage" in asked.headers["clear-site-data"]
    other = await api(client, "POST", "/api/v1/device/wipe-check", {"device_id": other_id})
    assert other.status_code == 204 and "x-rinnalla-wipe" not in other.headers
    # Alice finds the phone and logs in on it again: it is hers and quiet no more.
    await login(client, "alice@example.org")
    assert (await api(client, "POST", "/api/v1/device/key", {"device_id": phone_id})).status_code == 200
    client.cookies.delete("rinnalla_session")
    assert (await api(client, "POST", "/api/v1/device/wipe-check", {"device_id": phone_id})).status_code == 204


# --- 3: no lockout of a worker by a stranger ------------------------------------------------------


@pytest.fixture
def behind_proxy(monkeypatch):
    """The app behind our proxy on 127.0.0.1, so each test request can come from its own address."""
    from server.settings import get_settings

    monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def _login_from(client, address: str, email: str = "alice@example.org", password: str = "wrong password"):
    from tests.support.fixtures import csrf_token

    return await client.post(
        "/login",
        headers={"X-Forwarded-For": address},
        data={"email": email, "password": password, "_csrf_token": await csrf_token(client)},
    )


async def test_a_stranger_hammering_an_account_does_not_lock_its_owner_out(client, world, behind_proxy):
    from tests.support.fixtures import PASSWORD

    answers = [(await _login_from(client, "203.0.113.66")).status_code for _ in range(50)]
    assert answers[:5] == [401] * 5 and set(answers[5:]) == {429}
    # Alice at the office, from an address with no failures, gets in at once.
    assert (await _login_from(client, "198.51.100.7", password=PASSWORD)).status_code == 303


async def test_many_strangers_slow_the_account_down_for_themselves_only(client, world, behind_proxy):
    from tests.support.fixtures import PASSWORD

    for n in range(25):  # a botnet: one guess from each of 25 addresses
        assert (await _login_from(client, f"203.0.113.{n}")).status_code == 401
    slowed = await _login_from(client, "203.0.113.3")  # a second guess from one of them
    assert slowed.status_code == 429 and int(slowed.headers["retry-after"]) > 0
    assert (await _login_from(client, "198.51.100.7", password=PASSWORD)).status_code == 303


async def test_the_wait_grows_with_each_failure_past_the_limit(client, world, behind_proxy):
    from datetime import timedelta

    from server.accounts.tables import LoginFailure
    from server.timeutil import utcnow

    for _ in range(5):
        assert (await _login_from(client, "203.0.113.66")).status_code == 401
    first = await _login_from(client, "203.0.113.66")
    assert first.status_code == 429
    waits = [int(first.headers["retry-after"])]
    for _ in range(2):
        # The wait passes (the failures are moved back by it): one more guess is checked, and fails.
        await LoginFailure.update(
            {LoginFailure.failed_at: LoginFailure.failed_at - timedelta(seconds=waits[-1])}
        ).where(LoginFailure.id > 0)
        assert (await _login_from(client, "203.0.113.66")).status_code == 401
        again = await _login_from(client, "203.0.113.66")
        assert again.status_code == 429
        waits.append(int(again.headers["retry-after"]))
    assert waits[0] < waits[1] < waits[2] <= 15 * 60
    assert utcnow()  # (the window still holds every failure)


async def test_the_code_is_asked_on_its_own_step_and_the_password_is_not_kept_in_a_cookie(client, world):
    from server.accounts.tables import PendingLogin
    from tests.support.fixtures import PASSWORD, login
    from tests.test_mfa import code_now, enrol, log_out

    await login(client, "alice@example.org")
    key, _codes = await enrol(client)
    await log_out(client)
    form = await client.get("/login")
    assert 'name="otp"' not in form.text  # the first step asks for no code
    wrong = await login(client, "alice@example.org", "not the password")
    unknown = await login(client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert unmasked(wrong.text.replace("alice@example.org", "X")) == unmasked(
        unknown.text.replace("nobody@example.org", "X")
    )
    proven = await login(client, "alice@example.org")
    assert proven.status_code == 303 and proven.headers["location"] == "/login/code"
    kept = client.cookies["rinnalla_login"]
    assert PASSWORD not in kept and await PendingLogin.count() == 1
    assert "HttpOnly" in proven.headers["set-cookie"]
    done = await client.post(
        "/login/code", data={"otp": code_now(key, steps_ahead=1), "_csrf_token": client.cookies["csrftoken"]}
    )
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert (await client.get("/api/v1/me")).json()["email"] == "alice@example.org"
    assert await PendingLogin.count() == 0


# --- 4: no listing of other teams' clients ------------------------------------------------------


async def test_two_thousand_three_letter_searches_in_a_minute_reveal_no_other_teams_pseudonym(client, world):
    import itertools
    import string

    from tests.support.casework import api
    from tests.support.fixtures import login

    names = ["Makkara-Matti", "Aapeli", "Kettu", "Zorro", "Ööpinen"]
    for n, name in enumerate(names):
        await make_client(world.team_a, name, birth_year=1970 + n)
    await login(client, "dave@example.org")
    prefixes = ("".join(p) for p in itertools.product(string.ascii_lowercase, repeat=3))
    answers = []
    for prefix in itertools.islice(prefixes, 2000):
        response = await api(client, "POST", "/api/v1/clients/search-organisation", {"q": prefix, "birth_year": 1975})
        answers.append(response.status_code)
        assert not any(name in response.text for name in names), prefix
    assert answers[:10] == [200] * 10 and set(answers[10:]) == {429}
    # Without a birth year nothing is searched at all.
    bare = await api(client, "POST", "/api/v1/clients/search-organisation", {"q": "makkara"})
    assert bare.status_code == 422


async def test_a_search_needs_the_birth_year_is_limited_and_shows_on_the_leads_page(client, world, monkeypatch):
    import dataclasses

    from server.audit import glass
    from server.settings import get_settings
    from tests.support.casework import api
    from tests.support.fixtures import login, post_form

    three_a_day = dataclasses.replace(get_settings(), org_searches_per_day=3)
    monkeypatch.setattr(glass, "get_settings", lambda: three_a_day)
    client_id = await make_client(world.team_a, "Makkara-Matti", birth_year=1978)
    await login(client, "dave@example.org")
    wrong_year = await post_form(client, "/clients/other-teams", {"q": "makk", "birth_year": "1979"})
    assert wrong_year.status_code == 200 and "Makkara-Matti" not in wrong_year.text
    right = await post_form(client, "/clients/other-teams", {"q": "makk", "birth_year": "1978"})
    assert (
        right.status_code == 200 and "Makkara-Matti" in right.text and f"/clients/{client_id}/break-glass" in right.text
    )
    contains = await api(client, "POST", "/api/v1/clients/search-organisation", {"q": "atti", "birth_year": 1978})
    assert contains.json() == {"items": []}  # the beginning of the name, not any part of it
    over = await post_form(client, "/clients/other-teams", {"q": "makk", "birth_year": "1978"})
    assert over.status_code == 429 and "Makkara-Matti" not in over.text and int(over.headers["retry-after"]) > 0
    # Team B's lead sees each of Dave's searches; team A's lead sees none of them.
    from server.accounts.services import add_user
    from tests.support.fixtures import PASSWORD

    await add_user("bea@example.org", "lead", PASSWORD, "Team B", "Bea")
    client.cookies.clear()
    await login(client, "bea@example.org")
    lead = await client.get("/lead")
    assert lead.text.count("Dave: <bdi>makk</bdi>, 1978") == 1 and "Dave: <bdi>makk</bdi>, 1979" in lead.text
    assert "Dave: <bdi>atti</bdi>, 1978" in lead.text
    client.cookies.clear()
    await login(client, "lena@example.org")
    assert "Dave: <bdi>" not in (await client.get("/lead")).text


# --- 5: leads act only within their teams -------------------------------------------------------


async def test_a_local_service_is_retired_only_by_its_own_teams_leads_or_an_admin(client, world):
    from server.accounts.services import add_user
    from server.services.tables import Service
    from tests.support.fixtures import PASSWORD, login, post_form

    await add_user("bea@example.org", "lead", PASSWORD, "Team B", "Bea")
    await login(client, "lena@example.org")
    added = await post_form(client, "/services", {"name": "Kallion ilta", "category": "food_and_shelter"})
    assert added.status_code == 303
    service = await Service.select(Service.id, Service.team).where(Service.name_fi == "Kallion ilta").first()
    assert service["team"] == world.team_a
    client.cookies.clear()
    await login(client, "bea@example.org")
    page = await client.get("/services")
    assert "Kallion ilta" in page.text and f'action="/services/{service["id"]}/retire"' not in page.text
    assert (await post_form(client, f"/services/{service['id']}/retire")).status_code == 404
    assert (await Service.select(Service.active).where(Service.id == service["id"]).first())["active"] is True
    client.cookies.clear()
    await login(client, "ada@example.org")
    assert (await post_form(client, f"/services/{service['id']}/retire")).status_code == 303
    assert (await Service.select(Service.active).where(Service.id == service["id"]).first())["active"] is False


async def test_a_lead_changes_only_their_own_teams_rates_and_an_admin_sets_the_defaults(client, world):
    from server.accounts.services import add_user
    from server.rhythm.tables import HoursEntry
    from server.timeutil import local_today
    from tests.support.fixtures import PASSWORD, login, post_form

    await add_user("eero@example.org", "experience_expert", PASSWORD, "Team B", "Eero")
    today = local_today().isoformat()
    await login(client, "lena@example.org")  # team A's lead
    assert (
        await post_form(client, "/hours/rates", {"activity": "meeting", "eur_per_hour": "50", "effective_from": today})
    ).status_code == 303
    client.cookies.clear()
    await login(client, "ada@example.org")  # the admin: the organisation's default
    assert (
        await post_form(client, "/hours/rates", {"activity": "meeting", "eur_per_hour": "35", "effective_from": today})
    ).status_code == 303
    fees = {}
    for worker in ("bob@example.org", "eero@example.org"):
        client.cookies.clear()
        await login(client, worker)
        logged = await post_form(client, "/hours", {"date": today, "activity": "meeting", "hours": "1"})
        assert logged.status_code in (200, 303), logged.text
    for row in await HoursEntry.select(HoursEntry.user.email.as_alias("email"), HoursEntry.cents_per_hour):
        fees[row["email"]] = row["cents_per_hour"]
    # Team A has its own rate; team B follows the admin's default, untouched by team A's lead.
    assert fees == {"bob@example.org": 5000, "eero@example.org": 3500}
