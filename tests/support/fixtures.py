"""Fixtures: a clean database per test, the app, and a small world of named people.

The world (after healthchecks' Alice/Bob/Charlie): team A has Alice (professional) and Bob
(experience expert) as a work pair and Lena as lead; team B has Dave; Ada is the admin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
import pytest
from httpx import AsyncClient

from server.accounts.services import add_pair, add_team, add_user
from server.app import create_app
from server.db.lifecycle import close_database, open_database
from tests.support.db import empty_all_tables

PASSWORD = "correct horse battery staple"


@pytest.fixture
async def db(anyio_backend):
    try:
        await open_database()
        await empty_all_tables()
        yield
    finally:
        await close_database()


@dataclass
class World:
    team_a: int
    team_b: int
    alice: int
    bob: int
    lena: int
    dave: int
    ada: int


@pytest.fixture
async def world(db) -> World:
    team_a = await add_team("Team A")
    team_b = await add_team("Team B")
    alice = await add_user("alice@example.org", "professional", PASSWORD, "Team A", "Alice")
    bob = await add_user("bob@example.org", "experience_expert", PASSWORD, "Team A", "Bob")
    lena = await add_user("lena@example.org", "lead", PASSWORD, "Team A", "Lena")
    dave = await add_user("dave@example.org", "professional", PASSWORD, "Team B", "Dave")
    ada = await add_user("ada@example.org", "admin", PASSWORD, None, "Ada")
    await add_pair("alice@example.org", "bob@example.org")
    return World(team_a, team_b, alice, bob, lena, dave, ada)


@pytest.fixture
def push_service():
    """The loopback push service (tests/support/push_service.py), knowing the server's key."""
    from server.push.vapid import public_key
    from tests.support.push_service import PushService

    with PushService(public_key()) as service:
        yield service


@pytest.fixture
async def client(db):
    # httpx's ASGI transport runs the app on the test's own event loop (Litestar's
    # AsyncClient uses a portal thread, and the database pool belongs to one loop).
    # The `db` fixture stands in for the app's lifespan, which opens the same database.
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as test_client:
        yield test_client


async def csrf_token(client: AsyncClient) -> str:
    """The token a real page would carry: fetched from the login form like a browser does."""
    if "csrftoken" not in client.cookies:
        await client.get("/login")
    return client.cookies["csrftoken"]


async def form_token(client: AsyncClient, path: str = "/login") -> str:
    page = await client.get(path)
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


async def login(client: AsyncClient, email: str, password: str = PASSWORD, otp: str | None = None, **extra):
    """The login form; with `otp`, also its second step (the code page) when the password leads there."""
    token = client.cookies.get("csrftoken") or await form_token(client)
    response = await client.post("/login", data={"email": email, "password": password, "_csrf_token": token, **extra})
    if otp is not None and response.status_code == 303 and response.headers["location"] == "/login/code":
        response = await client.post("/login/code", data={"otp": otp, "_csrf_token": client.cookies["csrftoken"]})
    return response


async def post_form(client: AsyncClient, path: str, data: dict | None = None):
    token = await csrf_token(client)
    return await client.post(path, data={**(data or {}), "_csrf_token": token})


def unmasked(page: str) -> str:
    """The page with its CSRF token blanked: the token's mask is fresh in every response (BREACH,
    server/web/compression.py), so two answers alike otherwise differ there."""
    return re.sub(r'name="_csrf_token" value="[0-9a-f]+"', 'name="_csrf_token" value=""', page)
