"""The second factor: setting it up, logging in with it, recovery codes, roles that must use it."""

import re

import pyotp
import pytest

from server.accounts.tables import RecoveryCode, User, UserSession
from server.settings import get_settings
from server.timeutil import utcnow
from tests.support.fixtures import PASSWORD, login, post_form

pytestmark = pytest.mark.anyio

CODE_MESSAGE = "The code is wrong."


@pytest.fixture(autouse=True)
def in_english(client):
    client.cookies.set("lang", "en")  # the messages read the same before and after translation


@pytest.fixture
def mfa_required(monkeypatch):
    """Production's default: leads and admins must use a second factor (the suite sets none)."""
    monkeypatch.setenv("MFA_REQUIRED_ROLES", "lead,admin")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()  # monkeypatch puts the environment back; settings are read anew


def code_now(secret: str, steps_ahead: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(utcnow()) + steps_ahead)


async def enrol(client) -> tuple[str, list[str]]:
    """Set up a second factor like a person does; returns the key and the recovery codes."""
    started = await post_form(client, "/settings/mfa/start")
    assert started.status_code == 200
    key = re.search(r"<code data-totp-key>([A-Z2-7 ]+)</code>", started.text).group(1).replace(" ", "")
    confirmed = await post_form(client, "/settings/mfa/confirm", {"otp": code_now(key)})
    assert confirmed.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9-]{14})</code></li>", confirmed.text)
    return key, codes


async def log_out(client):
    assert (await post_form(client, "/logout")).status_code == 303


async def test_setting_up_shows_a_qr_code_and_the_key_then_asks_for_a_code(client, world):
    await login(client, "alice@example.org")
    page = await client.get("/settings")
    assert 'href="/settings/mfa"' in page.text
    started = await post_form(client, "/settings/mfa/start")
    assert "<svg" in started.text and "<script" not in started.text.split("<main", 1)[-1].split("</main>")[0]
    key = re.search(r"<code data-totp-key>([A-Z2-7 ]+)</code>", started.text).group(1).replace(" ", "")
    assert len(key) == 32
    # A wrong code does not turn it on; the same key is offered again.
    wrong = await post_form(
        client, "/settings/mfa/confirm", {"otp": "000000" if code_now(key) != "000000" else "111111"}
    )
    assert wrong.status_code == 422 and key[:4] in wrong.text
    assert (await User.select(User.totp_enabled_at).where(User.id == world.alice).first())["totp_enabled_at"] is None
    confirmed = await post_form(client, "/settings/mfa/confirm", {"otp": code_now(key)})
    codes = re.findall(r"<li><code>([a-z2-9-]{14})</code></li>", confirmed.text)
    assert len(codes) == len(set(codes)) == 10
    row = await User.select(User.totp_secret, User.totp_enabled_at).where(User.id == world.alice).first()
    assert row["totp_enabled_at"] is not None
    assert key not in row["totp_secret"] and row["totp_secret"].startswith("v1:")  # stored sealed
    hashes = [r["code_hash"] for r in await RecoveryCode.select(RecoveryCode.code_hash)]
    assert len(hashes) == 10 and not any(c in h or c.replace("-", "") in h for c in codes for h in hashes)
    # Neither the key nor the codes are ever shown again.
    later = await client.get("/settings/mfa")
    assert key[:8] not in later.text.replace(" ", "") and codes[0] not in later.text
    assert "10" in later.text  # ten recovery codes left
    with open(get_settings().log_file, encoding="utf-8") as log:
        text = log.read()
    assert key not in text and codes[0] not in text


async def test_login_asks_for_the_code_once_it_is_on(client, world):
    await login(client, "alice@example.org")
    key, _codes = await enrol(client)
    await log_out(client)
    # The password alone leads to the code step, with no session yet.
    missing = await login(client, "alice@example.org")
    assert missing.status_code == 303 and missing.headers["location"] == "/login/code"
    assert "rinnalla_session=" not in missing.headers.get("set-cookie", "")
    assert (await client.get("/api/v1/me")).status_code == 401
    code_page = await client.get("/login/code")
    assert code_page.status_code == 200 and 'name="otp"' in code_page.text
    # The code may be typed with a space, as apps show it.
    code = code_now(key, steps_ahead=1)
    ok = await login(client, "alice@example.org", otp=f"{code[:3]} {code[3:]}")
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    assert (await client.get("/api/v1/me")).json()["email"] == "alice@example.org"


async def test_a_wrong_code_is_refused_and_counts_towards_throttling(client, world):
    await login(client, "alice@example.org")
    key, _codes = await enrol(client)
    await log_out(client)
    wrong = "123456" if code_now(key) != "123456" else "654321"
    # Each round: the right password (counted until the code is right) and a wrong code.
    answers = [(await login(client, "alice@example.org", otp=wrong)).status_code for _ in range(3)]
    assert answers == [401, 401, 401]
    # Six failures of this account from this address: now even the right password and code wait.
    blocked = await login(client, "alice@example.org", otp=code_now(key, steps_ahead=1))
    assert blocked.status_code == 429
    assert await UserSession.count() == 1 and await UserSession.count().where(UserSession.revoked_at.is_null()) == 0


async def test_five_wrong_codes_end_the_code_step(client, world):
    await login(client, "alice@example.org")
    key, _codes = await enrol(client)
    await log_out(client)
    from server.accounts.tables import LoginFailure

    wrong = "123456" if code_now(key) != "123456" else "654321"
    assert (await login(client, "alice@example.org")).headers["location"] == "/login/code"
    await LoginFailure.delete().where(LoginFailure.id > 0)  # the code step's own limit, not the throttle's
    token = client.cookies["csrftoken"]
    answers = [
        (await client.post("/login/code", data={"otp": wrong, "_csrf_token": token})).status_code for _ in range(5)
    ]
    assert answers == [401, 401, 401, 401, 303]
    again = await client.post("/login/code", data={"otp": code_now(key, steps_ahead=1), "_csrf_token": token})
    assert again.status_code == 303 and again.headers["location"] == "/login"


async def test_a_used_code_cannot_be_used_again(client, world):
    await login(client, "alice@example.org")
    key, _codes = await enrol(client)  # used the current step's code
    await log_out(client)
    assert (await login(client, "alice@example.org", otp=code_now(key))).status_code == 401
    fresh = code_now(key, steps_ahead=1)
    assert (await login(client, "alice@example.org", otp=fresh)).status_code == 303
    await log_out(client)
    replay = await login(client, "alice@example.org", otp=fresh)
    assert replay.status_code == 401 and CODE_MESSAGE in replay.text


async def test_a_recovery_code_works_once(client, world):
    await login(client, "alice@example.org")
    _key, codes = await enrol(client)
    await log_out(client)
    # Typed in capitals and without hyphens, as people do from paper.
    assert (await login(client, "alice@example.org", otp=codes[3].replace("-", "").upper())).status_code == 303
    assert "9" in (await client.get("/settings/mfa")).text
    await log_out(client)
    again = await login(client, "alice@example.org", otp=codes[3])
    assert again.status_code == 401 and CODE_MESSAGE in again.text
    assert (await login(client, "alice@example.org", otp=codes[4])).status_code == 303


async def test_a_required_role_must_set_up_a_factor_before_anything_else(client, world, mfa_required):
    logged_in = await login(client, "lena@example.org")
    assert logged_in.status_code == 303 and logged_in.headers["location"] == "/settings/mfa"
    for path in ("/", "/team", "/settings", "/clients"):
        page = await client.get(path)
        assert page.status_code == 303 and page.headers["location"] == "/settings/mfa", path
    htmx = await client.get("/clients", headers={"HX-Request": "true"})
    assert htmx.status_code == 403 and htmx.headers["HX-Redirect"] == "/settings/mfa"
    setup = await client.get("/settings/mfa")
    assert setup.status_code == 200 and 'action="/settings/mfa/start"' in setup.text
    await enrol(client)
    assert (await client.get("/team")).status_code == 200
    assert (await client.get("/api/v1/me")).json()["role"] == "lead"


async def test_other_roles_are_not_forced(client, world, mfa_required):
    response = await login(client, "alice@example.org")
    assert response.headers["location"] == "/"
    assert (await client.get("/")).status_code == 200


async def test_the_api_refuses_a_required_role_before_set_up(client, world, mfa_required):
    await login(client, "alice@example.org")
    alice_cookie = client.cookies["rinnalla_session"]
    client.cookies.clear()
    await login(client, "lena@example.org")
    me = await client.get("/api/v1/me")
    assert me.status_code == 403
    assert me.json()["setup"] == "/settings/mfa" and "second factor" in me.json()["detail"]
    # A state-changing call is refused too, and changes nothing: Alice is still logged in.
    ended = await client.delete(
        "/api/v1/users/alice@example.org/sessions", headers={"x-csrftoken": client.cookies["csrftoken"]}
    )
    assert ended.status_code == 403
    assert await UserSession.count().where((UserSession.user == world.alice) & UserSession.revoked_at.is_null()) == 1
    assert alice_cookie


async def test_turning_it_off_needs_the_password_or_a_code(client, world):
    await login(client, "alice@example.org")
    key, codes = await enrol(client)
    refused = await post_form(client, "/settings/mfa/disable", {"password": "not the password"})
    assert refused.status_code == 403
    assert await User.count().where(User.totp_enabled_at.is_not_null()) == 1
    off = await post_form(client, "/settings/mfa/disable", {"password": PASSWORD})
    assert off.status_code == 303
    assert await User.count().where(User.totp_enabled_at.is_not_null()) == 0
    assert await RecoveryCode.count() == 0
    await log_out(client)
    assert (await login(client, "alice@example.org")).status_code == 303  # no code asked any more
    # On again, and off with a code from the app instead of the password.
    key, _codes = await enrol(client)
    off = await post_form(client, "/settings/mfa/disable", {"otp": code_now(key, steps_ahead=1)})
    assert off.status_code == 303 and await User.count().where(User.totp_enabled_at.is_not_null()) == 0


async def test_guessing_the_password_to_turn_it_off_is_throttled(client, world):
    await login(client, "alice@example.org")
    await enrol(client)
    for _ in range(5):
        assert (await post_form(client, "/settings/mfa/disable", {"password": "guess"})).status_code == 403
    blocked = await post_form(client, "/settings/mfa/disable", {"password": PASSWORD})
    assert blocked.status_code == 403
    assert await User.count().where(User.totp_enabled_at.is_not_null()) == 1


async def test_a_required_role_turning_it_off_sets_up_a_new_one_at_once(client, world, mfa_required):
    await login(client, "lena@example.org")
    await enrol(client)
    off = await post_form(client, "/settings/mfa/disable", {"password": PASSWORD})
    assert off.headers["location"] == "/settings/mfa"
    assert (await client.get("/team")).headers["location"] == "/settings/mfa"


async def test_an_administrator_resets_a_lost_second_factor_from_the_command_line(client, world):
    import subprocess
    import sys

    from tests.test_backup import PROJECT

    await login(client, "lena@example.org")
    await enrol(client)
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "user", "reset-second-factor", "lena@example.org"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (await client.get("/api/v1/me")).status_code == 401  # the old sessions ended
    assert await RecoveryCode.count() == 0
    client.cookies.clear()
    assert (await login(client, "lena@example.org")).status_code == 303  # the password alone again
