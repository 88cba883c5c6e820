"""Every unsafe request needs the CSRF token: forms (field) and htmx/fetch (header) alike."""

import pytest

from tests.support.fixtures import PASSWORD, csrf_token, login

pytestmark = pytest.mark.anyio


async def test_login_without_token_is_refused(client, world):
    await client.get("/login")
    response = await client.post("/login", data={"email": "alice@example.org", "password": PASSWORD})
    assert response.status_code == 403
    assert "rinnalla_session" not in client.cookies


async def test_logout_without_token_is_refused_and_the_session_lives(client, world):
    await login(client, "alice@example.org")
    assert (await client.post("/logout")).status_code == 403
    assert (await client.get("/api/v1/me")).status_code == 200


async def test_token_from_another_browser_is_refused(client, world):
    import httpx

    from server.app import create_app

    await login(client, "alice@example.org")
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as other:
        foreign = await csrf_token(other)
    response = await client.post("/logout", data={"_csrf_token": foreign})
    assert response.status_code == 403


async def test_header_token_works_for_htmx_and_fetch(client, world):
    await login(client, "alice@example.org")
    token = await csrf_token(client)
    response = await client.post("/logout", headers={"x-csrftoken": token, "HX-Request": "true"})
    assert response.status_code == 303
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_token_in_the_query_string_does_not_count(client, world):
    await login(client, "alice@example.org")
    token = await csrf_token(client)
    assert (await client.post(f"/logout?_csrf_token={token}")).status_code == 403
