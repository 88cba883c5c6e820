"""Pages and JSON gzipped when the browser asks, with the CSRF token masked afresh per response
(BREACH: see SECURITY.md)."""

import gzip
import re

import pytest

from server.settings import get_settings
from server.web.assets import asset_version
from server.web.compression import MINIMUM_BYTES, mask_token, unmask_token
from tests.support.fixtures import login

pytestmark = pytest.mark.anyio

TOKEN = re.compile(r'name="_csrf_token" value="([0-9a-f]+)"')


async def raw_get(client, path, accept_encoding):
    """The bytes as sent: httpx would otherwise undo the gzip and drop the header's meaning."""
    request = client.build_request("GET", path, headers={"accept-encoding": accept_encoding})
    response = await client.send(request, stream=True)
    body = b"".join([chunk async for chunk in response.aiter_raw()])
    await response.aclose()
    return response, body


async def test_a_page_is_gzipped_when_the_browser_asks(client, world):
    await login(client, "alice@example.org")
    response, body = await raw_get(client, "/visits/new", "gzip, deflate, br")
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in response.headers["vary"].lower()
    assert int(response.headers["content-length"]) == len(body)
    page = gzip.decompress(body)
    assert b"data-visit-form" in page and len(body) < len(page) / 2


async def test_json_is_gzipped_too(client, world):
    await login(client, "alice@example.org")
    response, body = await raw_get(client, "/schema/openapi.json", "gzip")
    assert response.status_code == 200 and response.headers["content-encoding"] == "gzip"
    assert gzip.decompress(body).startswith(b"{")


async def test_nothing_is_compressed_when_the_browser_does_not_ask(client, world):
    await login(client, "alice@example.org")
    for accept in ("identity", ""):
        response, body = await raw_get(client, "/visits/new", accept)
        assert "content-encoding" not in response.headers
        assert b"data-visit-form" in body


async def test_a_page_another_site_asked_for_is_not_compressed(client, world):
    await login(client, "alice@example.org")
    for site, compressed in (("cross-site", False), ("same-site", False), ("same-origin", True), ("none", True)):
        request = client.build_request(
            "GET", "/visits/new", headers={"accept-encoding": "gzip", "sec-fetch-site": site}
        )
        response = await client.send(request)
        assert ("content-encoding" in response.headers) is compressed, site
        assert "data-visit-form" in response.text


async def test_small_answers_are_sent_as_they_are(client, world):
    await login(client, "alice@example.org")
    response, body = await raw_get(client, "/api/v1/me", "gzip")
    assert response.status_code == 200 and len(body) < MINIMUM_BYTES
    assert "content-encoding" not in response.headers and body.startswith(b"{")


async def test_static_files_come_gzipped_once_from_the_release(client, world):
    path = f"/assets/{asset_version()}/js/app.js"
    first, packed = await raw_get(client, path, "gzip")
    second, again = await raw_get(client, path, "gzip")
    assert first.headers["content-encoding"] == "gzip" and packed == again
    assert b"registerServiceWorker" in gzip.decompress(packed)


async def test_the_csrf_token_differs_in_every_page_and_each_one_works(client, world):
    await client.get("/login")
    cookie = client.cookies["csrftoken"]
    first = TOKEN.search((await client.get("/login")).text).group(1)
    second = TOKEN.search((await client.get("/login")).text).group(1)
    # Neither the cookie's token nor a repeat: no secret stays the same from one response to the next.
    assert len({first, second, cookie}) == 3
    assert cookie not in (await client.get("/login")).text
    for token in (first, second):
        response = await client.post(
            "/login", data={"email": "alice@example.org", "password": "wrong", "_csrf_token": token}
        )
        assert response.status_code != 403, token  # past the CSRF check, to the password
    logged_in = await login(client, "alice@example.org")  # the page's masked token, as a browser sends it
    assert logged_in.status_code in (200, 302, 303)
    assert (await client.get("/api/v1/me")).status_code == 200


async def test_a_forged_or_foreign_token_is_still_refused(client, world):
    await client.get("/login")
    cookie = client.cookies["csrftoken"]
    page_token = TOKEN.search((await client.get("/login")).text).group(1)
    tampered = page_token[:-1] + ("0" if page_token[-1] != "0" else "1")
    other = mask_token("ab" * 64)  # another browser's token, masked
    for token in (tampered, other, "0" * 128, cookie[:-2]):
        response = await client.post(
            "/login", data={"email": "alice@example.org", "password": "wrong", "_csrf_token": token}
        )
        assert response.status_code == 403, token


async def test_the_header_token_may_be_masked_or_plain(client, world):
    await login(client, "alice@example.org")
    cookie = client.cookies["csrftoken"]
    session = (await client.get("/api/v1/device/session")).json()
    assert session["csrf_token"] != cookie  # the JSON carries it masked as well
    for token in (session["csrf_token"], cookie):
        response = await client.post("/api/v1/push/subscriptions", json={}, headers={"x-csrftoken": token})
        assert response.status_code != 403, token


def test_masking_round_trips_and_never_repeats():
    secret = get_settings().secret_key
    from litestar.middleware.csrf import generate_csrf_token

    token = generate_csrf_token(secret)
    masks = {mask_token(token) for _ in range(50)}
    assert len(masks) == 50 and all(len(mask) == len(token) for mask in masks)
    assert all(unmask_token(mask, secret) == token for mask in masks)
    assert unmask_token(token, secret) == token
