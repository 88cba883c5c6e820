"""The server side of the installable app: manifest, service worker, shell pages, device API."""

import json
import re
import uuid

import pytest

from server.accounts.sessions import revoke_sessions
from server.accounts.tables import Pair, UserSession
from server.casework.tables import Visit
from server.offline.device_keys import session_keys
from server.web.assets import STATIC_DIR, asset_version
from tests.support.casework import api, make_client
from tests.support.fixtures import login

pytestmark = pytest.mark.anyio


async def test_manifest_makes_the_app_installable_in_the_users_language(client, world):
    response = await client.get("/manifest.webmanifest", headers={"accept-language": "sv-FI"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/" and manifest["scope"] == "/"
    assert manifest["lang"] == "sv" and manifest["short_name"] == "Rinnalla" and manifest["theme_color"]
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        image = await client.get(icon["src"])
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
        width, height = int.from_bytes(image.content[16:20], "big"), int.from_bytes(image.content[20:24], "big")
        assert f"{width}x{height}" == icon["sizes"]


async def test_service_worker_is_served_from_the_root_and_precaches_a_working_shell(client, world):
    response = await client.get(f"/sw.js?release={asset_version()}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-cache"  # an update is seen at the next check
    # A fixed file: the same bytes whatever the page asks with; the release comes from its address.
    assert response.content == (STATIC_DIR / "sw.js").read_bytes() == (await client.get("/sw.js")).content
    assert "{{" not in response.text
    values = await client.get("/sw.json")
    assert values.status_code == 200 and values.headers["cache-control"] == "no-cache"
    assert "set-cookie" not in values.headers  # shared by every user: no CSRF cookie on it
    values = values.json()
    assert values["release"] == asset_version()
    assets, shell = values["assets"], values["shell"]
    assert {
        f"/assets/{asset_version()}/js/app.js",
        f"/assets/{asset_version()}/styles.css",
        f"/assets/{asset_version()}/vendor/htmx-2.0.11.min.js",
    } <= set(assets)
    assert f"/assets/{asset_version()}/sw.js" not in assets
    assert set(shell) == {"fi", "sv", "en"}
    for url in assets + [page for pages in shell.values() for page in pages.values()]:
        fetched = await client.get(url)  # logged out: the install must not depend on a session
        assert fetched.status_code == 200, url
    # What the worker imports, from the unversioned path it can name in a static file.
    for module in re.findall(r'from "(/static/js/[\w-]+\.js)"', response.text):
        imported = await client.get(module)
        assert imported.status_code == 200 and "javascript" in imported.headers["content-type"], module


async def test_shell_pages_hold_no_personal_data(client, world):
    pair = await Pair.select(Pair.id).first()
    await make_client(world.team_a, "Salainen Sami", pair["id"])
    await login(client, "alice@example.org")
    page = await client.get("/shell/fi/visit")
    assert page.status_code == 200
    assert "Salainen Sami" not in page.text and "Alice" not in page.text and "Bob" not in page.text
    assert 'name="rinnalla-user"' not in page.text
    assert 'data-picklist="clients"' in page.text  # filled on the phone from its sealed copy
    assert (await client.get("/shell/xx/visit")).status_code == 404
    assert (await client.get("/shell/fi/clients")).status_code == 404
    swedish = await client.get("/shell/sv/offline")
    assert '<html lang="sv">' in swedish.text


async def test_pages_with_client_data_are_never_stored_by_the_browser(client, world):
    await login(client, "alice@example.org")
    for path in ["/", "/clients", "/visits/new", "/outbox", "/api/v1/device/picklist"]:
        response = await client.get(path)
        assert response.headers["cache-control"] == "no-store", path


async def test_assets_of_the_current_release_are_immutable_and_others_are_not(client, world):
    current = await client.get(f"/assets/{asset_version()}/js/outbox.js")
    assert current.status_code == 200
    assert current.headers["content-type"].startswith("text/javascript")
    assert "immutable" in current.headers["cache-control"]
    assert current.content == (STATIC_DIR / "js" / "outbox.js").read_bytes()  # app.js is served joined
    assert current.headers["content-encoding"] == "gzip"  # httpx asked for it, and unpacked it
    plain = await client.get(f"/assets/{asset_version()}/js/outbox.js", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == current.content
    page = await client.get("/login")
    # Pages are compressed too, never with the CSRF token as itself in them (BREACH: SECURITY.md).
    assert page.headers["content-encoding"] == "gzip" and client.cookies["csrftoken"] not in page.text
    assert "set-cookie" not in current.headers  # shared caches may keep it: no CSRF cookie in it
    styles = await client.get(f"/assets/{asset_version()}/styles.css")
    assert styles.headers["content-type"].startswith("text/css") and "immutable" in styles.headers["cache-control"]
    for name in ("vendor/hds-core-5.2.2/base.min.css", "css/app.css"):  # every part, in order
        assert (STATIC_DIR / name).read_text() in styles.text
    older = await client.get("/assets/0123456789ab/js/app.js")
    assert older.status_code == 404  # never another release's name on today's files
    version = asset_version()
    for probe in [
        f"/assets/{version}/../../server/settings.py",
        f"/assets/{version}/%2e%2e/%2e%2e/pyproject.toml",
        f"/assets/{version}/js/missing.js",
        f"/assets/{version}/js",
    ]:
        assert (await client.get(probe)).status_code == 404, probe


async def test_device_key_is_the_same_for_one_user_on_one_device_and_differs_otherwise(client, world):
    device = str(uuid.uuid4())
    assert (await api(client, "POST", "/api/v1/device/key", {"device_id": device})).status_code == 401
    await login(client, "alice@example.org")
    first = await api(client, "POST", "/api/v1/device/key", {"device_id": device})
    again = await api(client, "POST", "/api/v1/device/key", {"device_id": device})
    other_device = await api(client, "POST", "/api/v1/device/key", {"device_id": str(uuid.uuid4())})
    assert first.status_code == 200 and first.json() == again.json()
    assert first.json() != other_device.json()
    assert len(first.json()["key"]) == len(first.json()["unwrap"]) == 43  # 32 bytes, base64url without padding
    assert first.json()["key"] != first.json()["unwrap"]
    await client.post("/logout", headers={"x-csrftoken": client.cookies["csrftoken"]})
    await login(client, "bob@example.org")
    bobs = await api(client, "POST", "/api/v1/device/key", {"device_id": device})
    assert bobs.json() != first.json()


async def test_the_session_key_is_the_sessions_own_and_is_refused_once_it_is_revoked(client, world):
    device = str(uuid.uuid4())
    await login(client, "alice@example.org")
    first = (await api(client, "POST", "/api/v1/device/key", {"device_id": device})).json()
    again = (await api(client, "POST", "/api/v1/device/key", {"device_id": device})).json()
    assert first == again and len(first["session"]) == 43 and len(first["session_tag"]) == 16
    assert first["session"] not in (first["key"], first["unwrap"])
    await revoke_sessions(world.alice)  # the lead ends the lost phone's session
    refused = await api(client, "POST", "/api/v1/device/key", {"device_id": device})
    assert refused.status_code == 401 and "session" not in refused.text
    await login(client, "alice@example.org")  # the same worker and phone, a new session
    second = (await api(client, "POST", "/api/v1/device/key", {"device_id": device})).json()
    assert (second["key"], second["unwrap"]) == (first["key"], first["unwrap"])  # the queue opens again
    assert second["session"] != first["session"] and second["session_tag"] != first["session_tag"]


async def test_a_session_revoked_after_its_cookie_was_checked_gets_no_session_key(client, world):
    await login(client, "alice@example.org")
    session = await UserSession.select(UserSession.id).where(UserSession.user == world.alice).first()
    assert await session_keys(session["id"], world.alice, uuid.uuid4()) is not None
    await revoke_sessions(world.alice)
    assert await session_keys(session["id"], world.alice, uuid.uuid4()) is None


async def test_device_key_refuses_bad_input_and_requests_without_csrf(client, world):
    await login(client, "alice@example.org")
    bad = await api(client, "POST", "/api/v1/device/key", {"device_id": "not-an-id"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "device_id"
    missing = await api(client, "POST", "/api/v1/device/key", {})
    assert missing.status_code == 422
    no_csrf = await client.post("/api/v1/device/key", json={"device_id": str(uuid.uuid4())})
    assert no_csrf.status_code == 403


async def test_picklist_holds_only_pseudonyms_of_the_pairs_active_clients(client, world):
    pair = await Pair.select(Pair.id).first()
    mine = await make_client(world.team_a, "Make", pair["id"], legal_name="Markku Esimerkki", phone="0401234567")
    await make_client(world.team_a, "Suljettu", pair["id"], status="closed")
    await make_client(world.team_a, "Toisen parin", None)
    await make_client(world.team_b, "Toisen tiimin", None)
    assert (await client.get("/api/v1/device/picklist")).status_code == 401
    await login(client, "alice@example.org")
    picklist = (await client.get("/api/v1/device/picklist")).json()
    assert picklist["clients"] == [{"id": mine, "pseudonym": "Make"}]
    assert "Markku" not in json.dumps(picklist) and "0401234567" not in json.dumps(picklist)
    names = {(worker["display_name"], worker["default"]) for worker in picklist["workers"]}
    assert {("Alice", True), ("Bob", True), ("Lena", False)} <= names


async def test_session_endpoint_gives_the_service_worker_user_and_csrf_token(client, world):
    assert (await client.get("/api/v1/device/session")).status_code == 401
    await login(client, "alice@example.org")
    session = (await client.get("/api/v1/device/session")).json()
    assert session["user_id"] == world.alice
    ok = await client.post(
        "/api/v1/device/key", json={"device_id": str(uuid.uuid4())}, headers={"x-csrftoken": session["csrf_token"]}
    )
    assert ok.status_code == 200


async def test_a_queued_visit_of_another_user_is_not_stored_as_the_logged_in_users(client, world):
    await login(client, "alice@example.org")
    body = {"id": str(uuid.uuid4()), "anonymous_count": 2, "kind": "street"}
    refused = await api(client, "POST", "/api/v1/visits", body, headers={"x-rinnalla-user": str(world.bob)})
    assert refused.status_code == 401
    assert await Visit.count() == 0
    accepted = await api(client, "POST", "/api/v1/visits", body, headers={"x-rinnalla-user": str(world.alice)})
    assert accepted.status_code == 201 and await Visit.count() == 1


async def test_a_resend_after_the_client_moved_team_answers_with_the_stored_visit(client, world):
    from server.casework.tables import Client

    pair = await Pair.select(Pair.id).first()
    moving = await make_client(world.team_a, "Muuttaja", pair["id"])
    await login(client, "alice@example.org")
    body = {"id": str(uuid.uuid4()), "client_id": moving, "kind": "street"}
    first = await api(client, "POST", "/api/v1/visits", body)
    assert first.status_code == 201
    await Client.update({Client.team: world.team_b, Client.pair: None}).where(Client.id == moving)
    # The phone never heard the 201 and sends again: it must not be told to fix (and so duplicate) it.
    again = await api(client, "POST", "/api/v1/visits", body)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert await Visit.count() == 1
    fresh = await api(client, "POST", "/api/v1/visits", {**body, "id": str(uuid.uuid4())})
    assert fresh.status_code == 404  # a new visit for that client is refused as before
