"""Attacks #32, #33, #35, #46, #47, #48 and #49 of security.md §5: sizes, encodings, content types,
what the server discloses about itself, errors, methods and headers.

Each is refused with a 4xx (never a 500), says why where a person or a program can act on it,
and stores nothing. The suite runs on SQLite and on PostgreSQL (which cannot store a NUL).
"""

from __future__ import annotations

import dataclasses
import html
import re
import time
from pathlib import Path

import httpx
import pytest

from server.app import create_app
from server.casework.tables import Client, Visit
from server.settings import get_settings
from tests.support.casework import api
from tests.support.fixtures import csrf_token, login
from tests.test_headers import api_fault, assert_strict_headers, page_fault

pytestmark = pytest.mark.anyio

UNSTORABLE_FI = "Sisältää merkkejä, joita ei voi tallentaa."  # the form's message, in the default language
FORM = {"content-type": "application/x-www-form-urlencoded"}
MB = 1024 * 1024


async def nothing_stored() -> bool:
    return await Client.count() == 0 and await Visit.count() == 0


async def raw_post(client, path: str, body: bytes, content_type: str, with_token: bool = True):
    headers = {"content-type": content_type, **({"x-csrftoken": await csrf_token(client)} if with_token else {})}
    started = time.monotonic()
    response = await client.post(path, content=body, headers=headers)
    return response, time.monotonic() - started


async def form_body(client, fields: list[tuple[str, str]] | bytes) -> bytes:
    token = (await csrf_token(client)).encode()
    encoded = fields if isinstance(fields, bytes) else httpx.QueryParams(fields).__str__().encode()
    return b"_csrf_token=" + token + b"&" + encoded


# -- #32 sizes -----------------------------------------------------------------------------------


async def test_32_ten_megabytes_to_a_form_and_to_the_api_answer_413_at_once(client, world):
    await login(client, "alice@example.org")
    to_form, form_seconds = await raw_post(
        client, "/clients/new", b"pseudonym=" + b"x" * (10 * MB), FORM["content-type"]
    )
    to_api, api_seconds = await raw_post(
        client, "/api/v1/clients", b'{"pseudonym": "' + b"x" * (10 * MB) + b'"}', "application/json"
    )
    assert to_form.status_code == 413 and "<form" not in to_form.text  # the error page, translated
    assert to_api.status_code == 413 and to_api.json()["status_code"] == 413
    assert form_seconds < 5 and api_seconds < 5  # refused on the way in, not parsed first
    assert await nothing_stored()


async def test_32_a_hundred_thousand_form_fields_answer_413(client, world):
    await login(client, "alice@example.org")
    fields = b"&".join(b"f%d=1" % n for n in range(100_000))
    response, seconds = await raw_post(
        client,
        "/clients/new",
        await form_body(client, fields + b"&pseudonym=Kaisa"),
        FORM["content-type"],
        with_token=False,
    )
    assert response.status_code == 413 and seconds < 5
    assert await nothing_stored()


async def test_32_a_one_megabyte_field_is_too_long_and_the_form_says_so(client, world):
    await login(client, "alice@example.org")
    body = await form_body(client, [("pseudonym", "x" * 1_000_000), ("consent_data", "on")])
    assert len(body) < MB  # under the body limit: the field's own limit refuses it
    response, _ = await raw_post(client, "/clients/new", body, FORM["content-type"], with_token=False)
    assert response.status_code == 422 and "Teksti on liian pitkä." in response.text
    assert await nothing_stored()


async def test_32_json_nested_ten_thousand_deep_is_malformed_400(client, world):
    await login(client, "alice@example.org")
    for body in (b"[" * 10_000 + b"]" * 10_000, b'{"pseudonym": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"):
        response, seconds = await raw_post(client, "/api/v1/clients", body, "application/json")
        assert response.status_code == 400 and seconds < 5
        assert response.json()["errors"] == [{"field": "body", "message": "Virheellinen JSON."}]
    assert await nothing_stored()


# -- #33 content types ---------------------------------------------------------------------------


async def test_33_text_plain_json_never_changes_anything(client, world):
    await login(client, "alice@example.org")
    body = b'{"pseudonym": "Kallion Kaisa", "consent_data": true}'
    # With the CSRF header (a script of our own origin): 415, the body must say it is JSON.
    with_header, _ = await raw_post(client, "/api/v1/clients", body, "text/plain")
    assert with_header.status_code == 415 and with_header.json()["errors"][0]["field"] == "body"
    # As a cross-site "simple" request would come (no custom header): CSRF refuses it first.
    simple, _ = await raw_post(client, "/api/v1/clients", body, "text/plain;charset=UTF-8", with_token=False)
    assert simple.status_code == 403
    assert await nothing_stored()


async def test_33_a_form_body_sent_as_json_is_malformed_400(client, world):
    await login(client, "alice@example.org")
    response, _ = await raw_post(
        client, "/api/v1/clients", b"pseudonym=Kallion+Kaisa&consent_data=on", "application/json"
    )
    assert response.status_code == 400 and response.json()["detail"] == "Malformed request body"
    assert await nothing_stored()


async def test_33_json_sent_to_a_form_stores_nothing(client, world):
    await login(client, "alice@example.org")
    response, _ = await raw_post(client, "/clients/new", b'{"pseudonym": "Kallion Kaisa"}', "application/json")
    assert 400 <= response.status_code < 500
    assert await nothing_stored()


# -- #35 encodings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        rb'{"pseudonym": "Kaisa\ud800", "consent_data": true}',  # a lone high surrogate
        rb'{"pseudonym": "\udc00Kaisa", "consent_data": true}',  # a lone low surrogate
        rb'{"pseudonym": "Kai\u0000sa", "consent_data": true}',  # NUL: PostgreSQL cannot store it
    ],
    ids=["high-surrogate", "low-surrogate", "nul"],
)
async def test_35_json_text_that_cannot_be_stored_is_422_naming_the_field(client, world, body):
    await login(client, "alice@example.org")
    response, _ = await raw_post(client, "/api/v1/clients", body, "application/json")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "pseudonym", "message": UNSTORABLE_FI}]
    assert await nothing_stored()


async def test_35_nested_and_unread_fields_are_checked_too(client, world):
    # A NUL in a field no parser reads, or inside a list, is refused before any route sees it.
    await login(client, "alice@example.org")
    response = await api(
        client,
        "POST",
        "/api/v1/visits",
        {"anonymous_count": 1, "kind": "street", "themes": ["housing\u0000"], "extra": {"x": "a\u0000"}},
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"themes", "extra.x"}
    assert await nothing_stored()


@pytest.mark.parametrize(
    "raw", [b"\xff\xfe", b"\xc0\xaf", b"\xed\xa0\x80"], ids=["invalid-byte", "overlong-slash", "encoded-surrogate"]
)
async def test_35_invalid_utf8_in_json_is_422(client, world, raw):
    await login(client, "alice@example.org")
    response, _ = await raw_post(client, "/api/v1/clients", b'{"pseudonym": "Kai' + raw + b'sa"}', "application/json")
    assert response.status_code == 422 and response.json()["errors"][0]["message"] == UNSTORABLE_FI
    assert await nothing_stored()


@pytest.mark.parametrize(
    "encoded",
    [b"Kai%FFsa", b"Kai%C0%AFsa", b"Kai%00sa", b"Kai%ED%A0%80sa"],
    ids=["invalid-byte", "overlong-slash", "nul", "encoded-surrogate"],
)
async def test_35_the_form_shows_what_cannot_be_stored_in_the_persons_language(client, world, encoded):
    await login(client, "alice@example.org")
    body = await form_body(client, b"consent_data=on&pseudonym=" + encoded)
    response, _ = await raw_post(client, "/clients/new", body, FORM["content-type"], with_token=False)
    assert response.status_code == 422
    assert UNSTORABLE_FI in response.text and "<form" in response.text  # the form again, with the message
    assert await nothing_stored()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("DELETE", "/api/v1/users/lena%00@example.org/sessions", 404),  # was a 500 on PostgreSQL
        ("GET", "/r/a%00b", 404),
        ("GET", "/api/v1/appointments/1%00.ics", 404),
        ("GET", "/clients?theme=%00", 400),
        ("GET", "/api/v1/services?q=a%00b", 400),
        ("GET", "/clients?status=%FF", 400),
    ],
)
async def test_35_nul_and_invalid_utf8_in_a_url_name_nothing(client, world, method, path, status):
    await login(client, "lena@example.org")
    response = await client.request(method, path, headers={"x-csrftoken": await csrf_token(client)})
    assert response.status_code == status
    assert (await client.get("/api/v1/me")).status_code == 200  # nothing of the sessions was touched


async def test_35_right_to_left_and_emoji_names_are_kept_as_typed_and_shown_escaped(client, world):
    await login(client, "alice@example.org")
    names = ["سارا 🌙", "<b>דנה</b> 🙂", "Áŋŋá 👩🏽‍🦱"]
    ids = []
    for name in names:
        response = await api(client, "POST", "/api/v1/clients", {"pseudonym": name, "consent_data": True})
        assert response.status_code == 201, response.text
        assert response.json()["pseudonym"] == name
        ids.append(response.json()["id"])
    stored = {row["pseudonym"] for row in await Client.select(Client.pseudonym)}
    assert stored == set(names)
    page = (await client.get(f"/clients/{ids[1]}")).text
    assert html.escape("<b>דנה</b>", quote=False) in page and "<b>דנה</b>" not in page


async def test_35_names_are_stored_in_one_normal_form(client, world):
    # "Ä" typed as A + combining diaeresis is stored as the one letter (NFC), so search finds it.
    await login(client, "alice@example.org")
    response = await api(client, "POST", "/api/v1/clients", {"pseudonym": "A\u0308ijä", "consent_data": True})
    assert response.status_code == 201 and response.json()["pseudonym"] == "\u00c4ijä"
    found = await api(client, "POST", "/api/v1/clients/search", {"q": "\u00c4ij"})
    assert [item["pseudonym"] for item in found.json()["items"]] == ["\u00c4ijä"]


# -- #46 what the server says about itself ---------------------------------------------------------

DISCLOSING_PATHS = [
    "/.git/config",
    "/.env",
    "/schema",
    "/schema/swagger",
    "/schema/openapi.json",
    "/schema/openapi.yaml",
    "/static/../server/settings.py",
    "/static/%2e%2e%2fserver%2fsettings.py",
    "/static/%2e%2e/%2e%2e/pyproject.toml",
    "/assets/x/..%2f..%2fserver%2fsettings.py",
]


@pytest.mark.parametrize("path", DISCLOSING_PATHS)
async def test_46_nothing_of_the_installation_is_served_anonymously(client, world, path):
    response = await client.get(path)
    assert response.status_code == 404
    assert "SECRET" not in response.text and "[core]" not in response.text and "openapi" not in response.text


async def test_46_the_api_description_is_for_admins_in_production(client, world, monkeypatch):
    production = dataclasses.replace(get_settings(), environment="production")
    monkeypatch.setattr("server.web.guards.get_settings", lambda: production)
    await login(client, "alice@example.org")
    assert (await client.get("/schema/openapi.json")).status_code == 404  # the same as any missing page
    await client.post("/logout", headers={"x-csrftoken": await csrf_token(client)})
    await login(client, "ada@example.org")
    described = await client.get("/schema/openapi.json")
    assert described.status_code == 200 and "/api/v1/clients" in described.json()["paths"]


async def test_46_while_developing_a_logged_in_user_reads_it(client, world):
    await login(client, "alice@example.org")
    assert (await client.get("/schema/openapi.json")).status_code == 200


# -- #47 errors ----------------------------------------------------------------------------------


@pytest.fixture
async def faulty_client(db):
    app = create_app()
    app.register(page_fault)
    app.register(api_fault)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://testserver.local"
    ) as test_client:
        yield test_client


LEAKS = re.compile(r"Traceback|File \"|/server/|site-packages|SELECT |asyncpg|sqlite3|RuntimeError|a fault on purpose")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/clients/abc",
        "/clients/abc",
        "/api/v1/visits/not-a-uuid",
        "/api/v1/clients/99999999999999999999",
        "/clients/0",
        "/api/v1/referrals/-1",
        "/api/v1/clients?limit=abc",
        "/api/v1/followups?done=maybe",
        "/api/v1/appointments/1e309.ics",
    ],
)
async def test_47_a_malformed_id_or_parameter_is_a_plain_4xx(client, world, path):
    await login(client, "alice@example.org")
    response = await client.get(path)
    assert 400 <= response.status_code < 500, path
    assert not LEAKS.search(response.text)


async def test_47_a_fault_shows_a_generic_page_with_an_id_found_in_the_server_log(faulty_client, world):
    page = await faulty_client.get("/test-only/fault")
    answer = await faulty_client.get("/api/test-only/fault")
    assert page.status_code == 500 and answer.status_code == 500
    assert not LEAKS.search(page.text) and not LEAKS.search(answer.text)
    error_id = answer.json()["error_id"]
    logged = [line for line in Path(get_settings().log_file).read_text().splitlines() if error_id in line]
    # The kind of error and where it happened are in the server's log, under the id a person can quote.
    assert len(logged) == 1 and "RuntimeError" in logged[0] and "in api_fault" in logged[0]
    assert await nothing_stored()


# -- #48 methods ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["TRACE", "TRACK", "PROPFIND", "MKCOL", "DEBUG", "PUT"])
@pytest.mark.parametrize("path", ["/", "/clients/new", "/api/v1/clients", "/login"])
async def test_48_unusual_methods_answer_405(client, world, method, path):
    await login(client, "alice@example.org")
    response = await client.request(
        method, path, headers={"x-csrftoken": await csrf_token(client)}, content=b'{"pseudonym": "Kaisa"}'
    )
    assert response.status_code == 405
    assert "Kaisa" not in response.text  # TRACE echoes nothing back (cross-site tracing)
    assert await nothing_stored()


# -- #49 headers on every kind of answer -------------------------------------------------------------


async def test_49_errors_files_and_the_worker_script_carry_the_same_headers(faulty_client, world):
    for path in ("/no-such-page", "/static/css/app.css", "/sw.js", "/test-only/fault", "/api/v1/nothing-here"):
        assert_strict_headers(await faulty_client.get(path))
    worker = await faulty_client.get("/sw.js")
    # Served from the root, its scope is the whole app already: no Service-Worker-Allowed needed.
    assert worker.headers["cache-control"] == "no-cache" and "service-worker-allowed" not in worker.headers
