"""Security headers on every kind of response, and no caching of personal pages."""

import dataclasses
import re

import httpx
import pytest
from litestar import get

from server.app import create_app
from server.settings import get_settings
from server.web.assets import asset_version
from tests.support.casework import api
from tests.support.fixtures import PASSWORD, login, post_form

pytestmark = pytest.mark.anyio


def assert_strict_headers(response):
    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


@get("/test-only/fault", opt={"public": True}, include_in_schema=False)
async def page_fault() -> str:
    raise RuntimeError("a fault on purpose")


@get("/api/test-only/fault", opt={"public": True}, include_in_schema=False)
async def api_fault() -> dict:
    raise RuntimeError("a fault on purpose")


@pytest.fixture
async def faulty_client(db):
    """The app with two test-only routes that raise: the 500 page and the 500 JSON answer."""
    app = create_app()
    app.register(page_fault)
    app.register(api_fault)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://testserver.local"
    ) as test_client:
        yield test_client


# Every kind of answer: pages, files, the worker script, errors of each kind, the API's errors.
EVERY_KIND = [
    ("GET", "/login", 200),
    ("GET", "/healthz", 200),
    ("GET", "/no-such-page", 404),
    ("GET", "/static/css/app.css", 200),
    ("GET", "/static/no-such-file.css", 404),
    ("GET", "/assets/{release}/css/app.css", 200),
    ("GET", "/assets/{release}/styles.css", 200),
    ("GET", "/sw.js", 200),
    ("GET", "/manifest.webmanifest", 200),
    ("GET", "/api/v1/me", 401),
    ("GET", "/api/v1/no-such-thing", 404),
    ("POST", "/healthz", 405),
    ("TRACE", "/login", 405),
    ("DELETE", "/login", 405),
    ("GET", "/test-only/fault", 500),
    ("GET", "/api/test-only/fault", 500),
]


@pytest.mark.parametrize(("method", "path", "status"), EVERY_KIND)
async def test_every_response_carries_the_security_headers(faulty_client, world, method, path, status):
    response = await faulty_client.request(method, path.format(release=asset_version()))
    assert response.status_code == status
    assert_strict_headers(response)
    assert "strict-transport-security" not in response.headers  # plain http: a browser would ignore it


@pytest.mark.parametrize(("method", "path", "status"), EVERY_KIND)
async def test_every_response_over_https_carries_hsts(faulty_client, world, monkeypatch, method, path, status):
    https = dataclasses.replace(get_settings(), base_url="https://rinnalla.example.fi")
    monkeypatch.setattr("server.web.security_headers.get_settings", lambda: https)
    response = await faulty_client.request(method, path.format(release=asset_version()))
    assert response.status_code == status
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert_strict_headers(response)


async def test_errors_are_never_stored_by_the_browser(faulty_client, world):
    for path in ("/no-such-page", "/static/no-such-file.css", "/test-only/fault", "/api/test-only/fault"):
        assert (await faulty_client.get(path)).headers["cache-control"] == "no-store", path


async def test_an_internal_error_shows_an_error_id_and_nothing_of_the_code(faulty_client, world):
    page = await faulty_client.get("/test-only/fault")
    answer = await faulty_client.get("/api/test-only/fault")
    again = await faulty_client.get("/api/test-only/fault")
    assert answer.json()["detail"] == "Internal error" and len(answer.json()["error_id"]) == 12
    assert answer.json()["error_id"] != again.json()["error_id"]  # each fault its own line in the log
    assert page.status_code == 500 and re.search(r"\b[0-9a-f]{12}\b", page.text)  # to quote when reporting it
    for body in (page.text, answer.text):
        assert "a fault on purpose" not in body and "Traceback" not in body and "server/" not in body


async def test_logged_in_pages_are_not_stored_by_the_browser(client, world):
    await login(client, "alice@example.org")
    for path in (
        "/",
        "/settings",
        "/clients",
        "/outbox",
        "/api/v1/me",
        "/api/v1/clients",
        "/api/v1/visits",
        "/api/v1/device/picklist",
        "/schema/openapi.json",
        "/clients/999999",
        "/api/v1/clients/999999",
    ):
        response = await client.get(path)
        assert response.headers["cache-control"] == "no-store", path
        assert_strict_headers(response)
    refused = await api(client, "POST", "/api/v1/clients", {"pseudonym": "a\u0000b"})
    assert refused.status_code == 422 and refused.headers["cache-control"] == "no-store"
    assert_strict_headers(refused)


async def test_files_that_hold_no_one_may_be_kept(client, world):
    release = asset_version()
    assert "immutable" in (await client.get(f"/assets/{release}/css/app.css")).headers["cache-control"]
    # The worker script and the manifest are checked for updates on every load, never stale.
    for path in ("/sw.js", "/manifest.webmanifest"):
        assert (await client.get(path)).headers["cache-control"] == "no-cache", path


async def test_no_inline_script_in_pages(client, world):
    await login(client, "alice@example.org")
    for path in ("/login", "/", "/settings"):
        html = (await client.get(path)).text
        for chunk in html.split("<script")[1:]:
            opening = chunk.split(">")[0]
            # A script is a file; a JSON data block is data (never run), allowed inline.
            assert chunk.lstrip().startswith("src=") or ' src="' in opening or 'type="application/json"' in opening, (
                path
            )
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
    assert (await client.get("/schema/openapi.json")).status_code == 404
    await login(client, "alice@example.org")
    schema = await client.get("/schema/openapi.json")
    assert schema.status_code == 200 and "/api/v1/visits" in schema.json()["paths"]


@pytest.fixture
async def https_client(db, monkeypatch):
    """The app as deployed: BASE_URL https, cookies sent back only over https (like a browser)."""
    import httpx

    from server.app import create_app

    monkeypatch.setenv("BASE_URL", "https://testserver.local")
    get_settings.cache_clear()
    try:
        transport = httpx.ASGITransport(app=create_app())
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as client:
            yield client
    finally:
        get_settings.cache_clear()


def _cookie(response, name: str) -> str:
    found = [c for c in response.headers.get_list("set-cookie") if c.startswith(f"{name}=")]
    assert found, f"no {name} cookie in {response.headers.get_list('set-cookie')}"
    return found[0]


async def test_over_https_both_cookies_are_host_only_and_secure(https_client, world):
    page = await https_client.get("/login")
    csrf = _cookie(page, "__Host-csrftoken")
    # __Host-: Secure, Path=/ and no Domain, so no other host under the domain can plant or read it.
    assert "Secure" in csrf and "Path=/" in csrf and "domain=" not in csrf.lower() and "samesite=lax" in csrf.lower()
    assert not any(c.startswith("csrftoken=") for c in page.headers.get_list("set-cookie"))
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
    logged_in = await https_client.post(
        "/login", data={"email": "alice@example.org", "password": PASSWORD, "_csrf_token": token}
    )
    assert logged_in.status_code == 303
    session = _cookie(logged_in, "__Host-rinnalla_session")
    assert "Secure" in session and "HttpOnly" in session and "Path=/" in session and "domain=" not in session.lower()
    # The cookies work: the API knows Alice, and the header token from the __Host- cookie is accepted.
    assert (await https_client.get("/api/v1/me")).json()["email"] == "alice@example.org"
    header_token = https_client.cookies["__Host-csrftoken"]
    ended = await https_client.post("/settings/sessions/end-others", headers={"x-csrftoken": header_token})
    assert ended.status_code == 303
    missing = await https_client.post("/settings/sessions/end-others")
    assert missing.status_code == 403
