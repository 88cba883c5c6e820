"""Logging in and out, sessions that end, throttling, and who the API says you are."""

from datetime import timedelta

import pytest

from server.accounts.sessions import hash_token
from server.accounts.tables import UserSession
from server.timeutil import utcnow
from tests.support.fixtures import PASSWORD, csrf_token, login, post_form, unmasked

pytestmark = pytest.mark.anyio


async def test_login_sets_an_httponly_session_cookie_and_redirects_home(client, world):
    response = await login(client, "alice@example.org")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("rinnalla_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # http BASE_URL on a laptop
    home = await client.get("/")
    assert home.status_code == 200
    assert "Alice" in home.text


async def test_email_is_case_insensitive(client, world):
    response = await login(client, "  ALICE@Example.org ")
    assert response.status_code == 303


async def test_wrong_password_and_unknown_email_get_the_same_answer(client, world):
    wrong = await login(client, "alice@example.org", "not the password")
    unknown = await login(client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "rinnalla_session" not in wrong.headers.get("set-cookie", "")
    message = "Sähköposti tai salasana on väärin"
    assert message in wrong.text and message in unknown.text
    assert unmasked(wrong.text.replace("alice@example.org", "X")) == unmasked(
        unknown.text.replace("nobody@example.org", "X")
    )


async def test_pages_and_api_need_a_login(client, world):
    page = await client.get("/settings")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Fsettings"
    api = await client.get("/api/v1/me")
    assert api.status_code == 401
    htmx = await client.get("/settings", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/login")


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/settings", "/settings"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
async def test_login_returns_only_to_pages_of_this_site(client, world, target, expected):
    response = await login(client, "alice@example.org", next=target)
    assert response.headers["location"] == expected


async def test_api_me_tells_who_is_logged_in(client, world):
    await login(client, "alice@example.org")
    me = (await client.get("/api/v1/me")).json()
    assert me["email"] == "alice@example.org"
    assert me["role"] == "professional"
    assert me["team"] == "Team A"
    assert me["pair"]["partner"] == "Bob"


async def test_a_new_session_is_made_at_login_and_the_old_token_dies(client, world):
    await login(client, "alice@example.org")
    first = client.cookies["rinnalla_session"]
    await login(client, "alice@example.org")
    second = client.cookies["rinnalla_session"]
    assert first != second and len(second) >= 43  # 32 random bytes
    row = await UserSession.select(UserSession.revoked_at).where(UserSession.token_hash == hash_token(first)).first()
    assert row["revoked_at"] is not None
    client.cookies.set("rinnalla_session", first)
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_logout_ends_the_session_on_the_server(client, world):
    await login(client, "alice@example.org")
    token = client.cookies["rinnalla_session"]
    response = await post_form(client, "/logout")
    assert response.status_code == 303
    assert response.headers["clear-site-data"] == '"cache"'
    client.cookies.set("rinnalla_session", token)  # a copied cookie is worth nothing now
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_logout_is_not_possible_with_get(client, world):
    await login(client, "alice@example.org")
    assert (await client.get("/logout")).status_code in {404, 405}
    assert (await client.get("/api/v1/me")).status_code == 200


async def test_only_a_hash_of_the_token_is_stored(client, world):
    await login(client, "alice@example.org")
    token = client.cookies["rinnalla_session"]
    rows = await UserSession.select(UserSession.token_hash)
    assert [r["token_hash"] for r in rows] == [hash_token(token)]


async def _age_session(**changes):
    await UserSession.update(changes).where(UserSession.revoked_at.is_null())


async def test_session_ends_after_the_idle_timeout(client, world):
    await login(client, "alice@example.org")
    await _age_session(last_seen_at=utcnow() - timedelta(hours=8, minutes=1))
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_session_survives_a_shorter_pause(client, world):
    await login(client, "alice@example.org")
    await _age_session(last_seen_at=utcnow() - timedelta(hours=7, minutes=50))
    assert (await client.get("/api/v1/me")).status_code == 200
    row = await UserSession.select(UserSession.last_seen_at).first()
    assert utcnow() - row["last_seen_at"] < timedelta(minutes=1)  # the request renewed it


async def test_session_ends_at_its_absolute_lifetime_even_when_used(client, world):
    await login(client, "alice@example.org")
    await _age_session(expires_at=utcnow() - timedelta(seconds=1))
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_a_disabled_user_cannot_log_in_and_loses_live_sessions(client, world):
    from server.accounts.services import disable_user

    await login(client, "alice@example.org")
    assert (await client.get("/api/v1/me")).status_code == 200
    await disable_user("alice@example.org")
    assert (await client.get("/api/v1/me")).status_code == 401
    assert (await login(client, "alice@example.org")).status_code == 401


async def test_login_is_throttled_per_account_with_retry_after(client, world):
    for _ in range(5):
        assert (await login(client, "alice@example.org", "wrong password")).status_code == 401
    blocked = await login(client, "alice@example.org", PASSWORD)  # even the right password waits
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["retry-after"]) <= 15 * 60
    # Another account from the same address is not locked by Alice's failures.
    assert (await login(client, "bob@example.org")).status_code == 303


async def test_login_is_throttled_per_address_whatever_x_forwarded_for_says(client, world):
    for n in range(20):
        response = await login(
            client,
            f"ghost{n}@example.org",
            "wrong password",
        )
        assert response.status_code == 401
    spoofed = await client.post(
        "/login",
        headers={"X-Forwarded-For": "203.0.113.9"},
        data={"email": "alice@example.org", "password": PASSWORD, "_csrf_token": await csrf_token(client)},
    )
    assert spoofed.status_code == 429


async def test_throttle_lifts_when_the_failures_leave_the_window(client, world):
    from server.accounts.tables import LoginFailure

    for _ in range(5):
        await login(client, "alice@example.org", "wrong password")
    await LoginFailure.update({LoginFailure.failed_at: utcnow() - timedelta(minutes=16)}).where(LoginFailure.id > 0)
    assert (await login(client, "alice@example.org")).status_code == 303


async def test_a_user_can_end_their_other_sessions(client, world):
    import httpx

    from server.app import create_app

    await login(client, "alice@example.org")
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as phone:
        await login(phone, "alice@example.org")
        assert (await phone.get("/api/v1/me")).status_code == 200
        settings = await client.get("/settings")
        # The other phone is listed with its own end button; this device is not.
        import re

        assert len(re.findall(r'action="/settings/sessions/\d+/end"', settings.text)) == 1
        await post_form(client, "/settings/sessions/end-others")
        assert (await phone.get("/api/v1/me")).status_code == 401
    assert (await client.get("/api/v1/me")).status_code == 200


@pytest.fixture
def trusted_proxies(monkeypatch):
    """TRUSTED_PROXIES as an operator sets it; the test client's peer is 127.0.0.1."""
    from server.settings import get_settings

    def trust(value: str) -> None:
        monkeypatch.setenv("TRUSTED_PROXIES", value)
        get_settings.cache_clear()

    yield trust
    get_settings.cache_clear()


async def _failed_login_addresses() -> list[str]:
    from server.accounts.tables import LoginFailure

    return [r["address"] for r in await LoginFailure.select(LoginFailure.address).order_by(LoginFailure.id)]


async def _login_via(client, forwarded_for: str, email: str = "alice@example.org", password: str = "wrong"):
    return await client.post(
        "/login",
        headers={"X-Forwarded-For": forwarded_for},
        data={"email": email, "password": password, "_csrf_token": await csrf_token(client)},
    )


async def test_x_forwarded_for_is_ignored_without_trusted_proxies(client, world):
    await _login_via(client, "198.51.100.7")
    assert await _failed_login_addresses() == ["127.0.0.1"]


@pytest.mark.parametrize(
    "trusted, forwarded, client_is",
    [
        ("127.0.0.1", "198.51.100.7", "198.51.100.7"),
        # Whatever the client wrote itself stands left of what our proxy appended: the rightmost wins.
        ("127.0.0.1", "203.0.113.66, 198.51.100.7", "198.51.100.7"),
        ("127.0.0.0/8, 10.0.0.0/8", "203.0.113.66, 198.51.100.7, 10.1.2.3", "198.51.100.7"),
        ("127.0.0.1", "", "127.0.0.1"),
        ("10.0.0.1", "198.51.100.7", "127.0.0.1"),  # the peer is not our proxy: its header is not believed
    ],
)
async def test_x_forwarded_for_counts_only_from_a_trusted_proxy(
    client, world, trusted_proxies, trusted, forwarded, client_is
):
    trusted_proxies(trusted)
    await _login_via(client, forwarded)
    assert await _failed_login_addresses() == [client_is]


async def test_fifty_spoofed_addresses_do_not_dodge_the_address_limit(client, world):
    answers = [
        (await _login_via(client, f"203.0.113.{n}", email=f"ghost{n}@example.org")).status_code for n in range(50)
    ]
    assert answers == [401] * 20 + [429] * 30
    assert set(await _failed_login_addresses()) == {"127.0.0.1"}


async def test_behind_a_trusted_proxy_each_client_address_counts_on_its_own(client, world, trusted_proxies):
    trusted_proxies("127.0.0.1")
    for n in range(20):
        assert (await _login_via(client, "198.51.100.7", email=f"ghost{n}@example.org")).status_code == 401
    assert (await _login_via(client, "198.51.100.7", email="ghost99@example.org")).status_code == 429
    # Another person behind the same proxy is not locked out by the first one's failures.
    other = await _login_via(client, "198.51.100.8", email="alice@example.org", password=PASSWORD)
    assert other.status_code == 303


# --- a lost phone, wiped ---------------------------------------------------------------------

WIPE = '"cache", "storage"'


@pytest.fixture
async def lost_phone():
    import httpx

    from server.app import create_app

    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as phone:
        yield phone


async def test_a_wiped_phone_is_told_to_delete_its_data_on_its_next_contact(client, world, lost_phone):
    await login(lost_phone, "alice@example.org")
    await login(client, "lena@example.org")
    ended = await client.delete(
        "/api/v1/users/alice@example.org/sessions?wipe=true", headers={"x-csrftoken": client.cookies["csrftoken"]}
    )
    assert ended.status_code == 200 and ended.json() == {"ended": 1, "wipe": True}
    for path in ("/api/v1/device/session", "/api/v1/visits"):
        answer = await lost_phone.get(path)
        assert answer.status_code == 401
        assert answer.headers["clear-site-data"] == WIPE and answer.headers["x-rinnalla-wipe"] == "1"
    page = await lost_phone.get("/", follow_redirects=True)
    assert page.url.path == "/login" and page.headers["clear-site-data"] == WIPE
    assert '<meta name="rinnalla-wipe" content="1">' in page.text
    # Alice logs in again on the phone: from then on nothing more is wiped.
    await login(lost_phone, "alice@example.org")
    again = await lost_phone.get("/api/v1/me")
    assert again.status_code == 200 and "clear-site-data" not in again.headers
    assert 'name="rinnalla-wipe"' not in (await lost_phone.get("/settings")).text


async def test_ending_sessions_without_wipe_keeps_the_phones_queue(client, world, lost_phone):
    await login(lost_phone, "alice@example.org")
    await login(client, "lena@example.org")
    ended = await client.delete(
        "/api/v1/users/alice@example.org/sessions", headers={"x-csrftoken": client.cookies["csrftoken"]}
    )
    assert ended.json() == {"ended": 1}
    answer = await lost_phone.get("/api/v1/device/session")
    assert answer.status_code == 401 and "clear-site-data" not in answer.headers
    assert 'name="rinnalla-wipe"' not in (await lost_phone.get("/login")).text


async def test_the_team_page_wipes_also_a_phone_whose_session_had_already_ended(client, world, lost_phone):
    await login(lost_phone, "bob@example.org")
    await UserSession.update({UserSession.last_seen_at: utcnow() - timedelta(hours=9)}).where(
        UserSession.user == world.bob
    )  # idle too long: ended before the phone was missed
    await login(client, "lena@example.org")
    client.cookies.set("lang", "en", domain="testserver.local")
    team = await client.get("/team")
    assert f'action="/team/members/{world.bob}/end-sessions" class="inline-form" data-wipe-form' in team.text
    assert "Visits still waiting on that phone are lost." in team.text  # the lead is warned
    asked = await post_form(client, f"/team/members/{world.bob}/end-sessions", {"wipe": "1"})
    assert asked.status_code == 200 and "Bob" in asked.text  # asks first, naming the person
    confirmed = {"wipe": "1", "confirm": "1"}
    assert (await post_form(client, f"/team/members/{world.bob}/end-sessions", confirmed)).status_code == 303
    answer = await lost_phone.get("/api/v1/me")
    assert answer.status_code == 401 and answer.headers["clear-site-data"] == WIPE
    # A colleague's phone is not touched.
    assert "clear-site-data" not in (await client.get("/team")).headers


async def test_the_command_line_wipes_too(world, lost_phone):
    import subprocess
    import sys

    await login(lost_phone, "alice@example.org")
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "user", "logout", "alice@example.org", "--wipe"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "1 session(s)" in done.stdout and "delete their data" in done.stdout
    assert (await lost_phone.get("/api/v1/me")).headers["clear-site-data"] == WIPE
