"""Security headers on every kind of response, and no caching of personal pages."""

import dataclasses

import pytest

from server.settings import get_settings
from tests.support.fixtures import login, post_form

pytestmark = pytest.mark.anyio


def assert_strict_headers(response):
    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    for directive in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'",
                      "frame-ancestors 'none'"):
        assert directive in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/login", "/healthz", "/no-such-page", "/static/css/app.css", "/api/v1/me"])
async def test_every_response_carries_the_security_headers(client, world, path):
    response = await client.get(path)
    assert_strict_headers(response)


async def test_logged_in_pages_are_not_stored_by_the_browser(client, world):
    await login(client, "alice@example.org")
    for path in ("/", "/settings", "/api/v1/me"):
        response = await client.get(path)
        assert response.headers["cache-control"] == "no-store", path
        assert_strict_headers(response)


async def test_no_inline_script_in_pages(client, world):
    await login(client, "alice@example.org")
    for path in ("/login", "/", "/settings"):
        html = (await client.get(path)).text
        for chunk in html.split("<script")[1:]:
            opening = chunk.split(">")[0]
            # A script is a file; a JSON data block is data (never run), allowed inline.
            assert chunk.lstrip().startswith("src=") or ' src="' in opening or 'type="application/json"' in opening, path
        assert " on" + "click=" not in html and "hx-on" not in html


async def test_hsts_and_secure_cookies_when_served_over_https(client, world, monkeypatch):
    https = dataclasses.replace(get_settings(), base_url="https://rinnalla.example.fi")
    for module in ("server.web.security_headers", "server.accounts.routes", "server.accounts.sessions"):
        monkeypatch.setattr(f"{module}.get_settings", lambda: https)
    response = await client.get("/login")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    logged_in = await login(client, "alice@example.org")
    cookie = logged_in.headers["set-cookie"]
    assert cookie.startswith("__Host-rinnalla_session=") and "Secure" in cookie
    logged_out = await post_form(client, "/logout")
    deletion = [c for c in logged_out.headers.get_list("set-cookie") if c.startswith("__Host-rinnalla_session=")]
    # A browser ignores the deletion of a __Host- cookie unless it is Secure too.
    assert deletion and "Secure" in deletion[0] and ("Max-Age=0" in deletion[0] or "max-age=0" in deletion[0])


async def test_no_hsts_over_plain_http(client, world):
    assert "strict-transport-security" not in (await client.get("/login")).headers


async def test_the_api_description_is_served_to_logged_in_users_as_json(client, world):
    assert (await client.get("/schema/openapi.json")).status_code in {303, 401}
    await login(client, "alice@example.org")
    schema = await client.get("/schema/openapi.json")
    assert schema.status_code == 200 and "/api/v1/visits" in schema.json()["paths"]
