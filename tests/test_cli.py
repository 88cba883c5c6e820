"""The `rinnalla` command as an operator meets it: real subprocesses on the test database."""

import os
import subprocess
import sys

import pytest

from server.accounts.tables import Pair, Team, User
from server.casework.tables import Client, Visit

pytestmark = pytest.mark.anyio


def rinnalla(*args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def assert_one_line_error(result: subprocess.CompletedProcess, words: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert words in lines[0]


async def test_team_user_and_pair_are_made_from_the_command_line(db):
    assert rinnalla("team", "add", "Kallio").returncode == 0
    for email, role in (("pro@example.org", "professional"), ("exp@example.org", "experience_expert")):
        result = rinnalla(
            "user",
            "add",
            email,
            "--team",
            "Kallio",
            "--role",
            role,
            "--password-stdin",
            stdin="a long enough passphrase\n",
        )
        assert result.returncode == 0, result.stderr
    result = rinnalla("pair", "add", "pro@example.org", "EXP@example.org")
    assert result.returncode == 0, result.stderr
    assert await Team.count() == 1 and await User.count() == 2 and await Pair.count() == 1
    stored = await User.select(User.password_hash).first()
    assert stored["password_hash"].startswith("$argon2id$")


async def test_a_generated_password_is_printed_once_when_none_is_given(db):
    rinnalla("team", "add", "Kallio")
    result = rinnalla("user", "add", "lead@example.org", "--team", "Kallio", "--role", "lead", stdin="")
    assert result.returncode == 0, result.stderr
    assert "Generated password" in result.stdout


@pytest.mark.parametrize(
    "args, stdin, words",
    [
        (
            ("user", "add", "x@example.org", "--team", "Nowhere", "--role", "professional", "--password-stdin"),
            "a long enough passphrase\n",
            "No team called 'Nowhere'",
        ),
        (
            ("user", "add", "not-an-email", "--team", "Kallio", "--role", "professional", "--password-stdin"),
            "a long enough passphrase\n",
            "Not a valid email address",
        ),
        (
            ("user", "add", "y@example.org", "--team", "Kallio", "--role", "professional", "--password-stdin"),
            "short\n",
            "at least 10 characters",
        ),
        (
            ("user", "add", "y@example.org", "--team", "Kallio", "--role", "professional", "--password-stdin"),
            "salasana123\n",
            "too easy to guess",
        ),
        (
            ("user", "add", "z@example.org", "--role", "lead", "--password-stdin"),
            "a long enough passphrase\n",
            "needs a team",
        ),
        (("team", "add", "Kallio"), None, "already exists"),
        (("user", "disable", "ghost@example.org"), None, "No user ghost@example.org"),
        (("pair", "add", "ghost@example.org", "other@example.org"), None, "No user ghost@example.org"),
    ],
)
async def test_errors_are_one_clear_line_and_a_nonzero_exit(db, args, stdin, words):
    rinnalla("team", "add", "Kallio")
    assert_one_line_error(rinnalla(*args, stdin=stdin), words)


async def test_a_pair_must_be_two_people_of_one_team(db):
    rinnalla("team", "add", "A")
    rinnalla("team", "add", "B")
    rinnalla(
        "user",
        "add",
        "a@example.org",
        "--team",
        "A",
        "--role",
        "professional",
        "--password-stdin",
        stdin="a long enough passphrase\n",
    )
    rinnalla(
        "user",
        "add",
        "b@example.org",
        "--team",
        "B",
        "--role",
        "professional",
        "--password-stdin",
        stdin="a long enough passphrase\n",
    )
    assert_one_line_error(rinnalla("pair", "add", "a@example.org", "b@example.org"), "same team")
    assert_one_line_error(rinnalla("pair", "add", "a@example.org", "a@example.org"), "two different people")


async def test_user_disable_ends_sessions(db):
    from server.accounts.sessions import create_session, resolve_session

    rinnalla("team", "add", "A")
    rinnalla(
        "user",
        "add",
        "a@example.org",
        "--team",
        "A",
        "--role",
        "professional",
        "--password-stdin",
        stdin="a long enough passphrase\n",
    )
    user = await User.select(User.id).first()
    token = await create_session(user["id"], "test phone")
    assert await resolve_session(token) is not None
    result = rinnalla("user", "disable", "a@example.org")
    assert result.returncode == 0 and "1 session(s) ended" in result.stdout
    assert await resolve_session(token) is None


async def test_demo_is_idempotent_and_prints_the_logins(db):
    first = rinnalla("demo")
    assert first.returncode == 0, first.stderr
    assert "lead@demo.rinnalla.fi" in first.stdout and "rinnalla-demo-2026" in first.stdout
    counts = (await Team.count(), await User.count(), await Pair.count(), await Client.count(), await Visit.count())
    assert counts[:3] == (2, 8, 3) and 55 <= counts[3] <= 65 and counts[4] > 100
    second = rinnalla("demo")
    assert second.returncode == 0
    assert (
        await Team.count(),
        await User.count(),
        await Pair.count(),
        await Client.count(),
        await Visit.count(),
    ) == counts


async def test_production_refuses_to_start_without_a_secret_or_with_debug(db):
    result = rinnalla("migrate", env={"RINNALLA_ENV": "production", "RINNALLA_FAST_HASHES": "0"})
    assert_one_line_error(result, "SECRET_KEY")
    result = rinnalla(
        "migrate", env={"RINNALLA_ENV": "production", "SECRET_KEY": "x" * 40, "DEBUG": "1", "RINNALLA_FAST_HASHES": "0"}
    )
    assert_one_line_error(result, "DEBUG")
    result = rinnalla(
        "migrate",
        env={
            "RINNALLA_ENV": "production",
            "SECRET_KEY": "x" * 40,
            "RINNALLA_FAST_HASHES": "0",
            "BASE_URL": "http://rinnalla.example.fi",
        },
    )
    assert_one_line_error(result, "https://")


async def test_demo_data_is_refused_in_production(db):
    result = rinnalla(
        "demo",
        env={
            "RINNALLA_ENV": "production",
            "SECRET_KEY": "x" * 40,
            "RINNALLA_FAST_HASHES": "0",
            "BASE_URL": "https://rinnalla.example.fi",
        },
    )
    assert_one_line_error(result, "refused in production")


async def test_the_worker_round_removes_long_ended_sessions_and_old_login_failures(db):
    from datetime import timedelta

    from server.accounts.sessions import create_session, revoke_sessions
    from server.accounts.tables import LoginFailure, UserSession
    from server.timeutil import utcnow

    rinnalla("team", "add", "A")
    rinnalla(
        "user",
        "add",
        "a@example.org",
        "--team",
        "A",
        "--role",
        "professional",
        "--password-stdin",
        stdin="a long enough passphrase\n",
    )
    user = await User.select(User.id).first()
    await create_session(user["id"], "old phone")
    await revoke_sessions(user["id"])
    await UserSession.update({UserSession.revoked_at: utcnow() - timedelta(days=31)}).where(UserSession.id > 0)
    await create_session(user["id"], "this phone")
    await LoginFailure.insert(LoginFailure(account_key="x", address="1.2.3.4", failed_at=utcnow() - timedelta(hours=1)))
    result = rinnalla("worker", "--once")
    assert result.returncode == 0, result.stderr
    assert [r["device"] for r in await UserSession.select(UserSession.device)] == ["this phone"]
    assert await LoginFailure.count() == 0


def test_keys_prints_a_secret_and_a_vapid_key_that_the_app_accepts():
    from py_vapid import Vapid

    result = rinnalla("keys")
    assert result.returncode == 0, result.stderr
    values = dict(line.split("=", 1) for line in result.stdout.strip().splitlines())
    assert set(values) == {"SECRET_KEY", "VAPID_PRIVATE_KEY"}
    assert len(values["SECRET_KEY"]) >= 48
    assert Vapid.from_string(values["VAPID_PRIVATE_KEY"]).public_key is not None
    assert rinnalla("keys").stdout != result.stdout  # new ones every time
