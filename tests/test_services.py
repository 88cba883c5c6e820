"""The service directory: national data loaded idempotently, search, filters, one-tap links."""

import json
import re

import pytest

from server.services.directory import NATIONAL_FILE, load_national_services
from server.services.tables import CATEGORIES, Service
from tests.support.fixtures import login

pytestmark = pytest.mark.anyio


@pytest.fixture
async def directory(db):
    return await load_national_services()


def national_entries() -> list[dict]:
    return json.loads(NATIONAL_FILE.read_text(encoding="utf-8"))["services"]


def test_the_shipped_directory_is_sourced_and_broad_enough():
    entries = national_entries()
    assert len(entries) >= 15 and len({e["category"] for e in entries}) >= 6
    assert len({e["key"] for e in entries}) == len(entries)
    for entry in entries:
        assert entry["category"] in CATEGORIES, entry["key"]
        assert entry["source"] and entry["confidence"] in {"seen", "secondary"}, entry["key"]
        assert entry["name"]["fi"], entry["key"]


async def test_loading_twice_changes_nothing_and_an_updated_file_reaches_the_database(db, tmp_path):
    first = await load_national_services()
    assert first == {"added": len(national_entries()), "updated": 0, "retired": 0}
    assert await load_national_services() == {"added": 0, "updated": 0, "retired": 0}
    entries = national_entries()
    entries[0]["phone"] = "0800 000 000"
    removed = entries.pop()
    changed = tmp_path / "services.json"
    changed.write_text(json.dumps({"services": entries}), encoding="utf-8")
    assert await load_national_services(changed) == {"added": 0, "updated": 1, "retired": 1}
    assert (await Service.select(Service.phone).where(Service.key == entries[0]["key"]).first())[
        "phone"
    ] == "0800 000 000"
    assert (await Service.select(Service.active).where(Service.key == removed["key"]).first())["active"] is False
    assert await Service.count() == len(national_entries())  # retired, not deleted


async def test_directory_page_searches_filters_and_links_in_one_tap(client, world, directory):
    await login(client, "alice@example.org")
    page = await client.get("/services")
    assert page.status_code == 200
    assert 'href="tel:092525' in page.text and 'href="tel:112"' in page.text
    crisis = await client.get("/services", params={"category": "crisis"})
    assert crisis.text.count("data-service ") == sum(1 for e in national_entries() if e["category"] == "crisis")
    found = await client.get("/services", params={"q": "myrkytys"})
    assert found.text.count("data-service ") == 1 and "0800 147 111" in found.text
    none = await client.get("/services", params={"q": "<script>x</script>"})
    assert "<script>x</script>" not in none.text and "data-service " not in none.text


async def test_directory_in_swedish_falls_back_to_finnish_where_no_swedish_text(client, world, directory):
    await login(client, "alice@example.org")
    await client.post("/language", data={"language": "sv", "_csrf_token": client.cookies["csrftoken"]})
    page = await client.get("/services")
    assert '<html lang="sv">' in page.text and "Kristelefonen" in page.text


async def test_show_to_client_card_has_a_qr_code_of_the_web_page(client, world, directory):
    await login(client, "alice@example.org")
    mieli = await Service.select(Service.id).where(Service.key == "mieli-crisis-helpline").first()
    card = await client.get(f"/services/{mieli['id']}")
    assert card.status_code == 200
    assert "<svg" in card.text and "https://mieli.fi/helpline" in card.text
    assert (await client.get("/services/999999")).status_code == 404


async def test_api_lists_services_with_their_one_tap_facts(client, world, directory):
    assert (await client.get("/api/v1/services")).status_code == 401
    await login(client, "alice@example.org")
    body = (await client.get("/api/v1/services", params={"category": "substances"})).json()
    assert body["total"] == len(body["items"]) > 0
    item = body["items"][0]
    assert {"id", "name", "category", "phone", "url", "description", "source"} <= set(item)
    assert all(entry["category"] == "substances" for entry in body["items"])


async def test_home_shows_the_quick_links_to_call(client, world, directory):
    await login(client, "alice@example.org")
    home = await client.get("/")
    assert 'href="tel:112"' in home.text and 'href="tel:0800147111"' in home.text


async def test_leads_add_and_remove_local_services_workers_cannot(client, world, directory):
    from tests.support.fixtures import post_form

    await login(client, "alice@example.org")
    assert (await post_form(client, "/services", {"name": "Oma", "category": "crisis"})).status_code == 403
    await client.post("/logout", headers={"x-csrftoken": client.cookies["csrftoken"]})
    await login(client, "lena@example.org")
    bad = await post_form(
        client, "/services", {"name": "", "category": "nope", "web": "javascript:alert(1)", "phone": "call me"}
    )
    assert bad.status_code == 422
    assert {"name", "category", "web", "phone"} <= set(re.findall(r'id="([a-z_]+)-error"', bad.text))
    before = await Service.count()
    assert await Service.count() == before  # nothing half-stored
    made = await post_form(
        client,
        "/services",
        {"name": "Kallion ilta", "category": "food_and_shelter", "phone": "09 123 4567", "quick_link": "1"},
    )
    assert made.status_code == 303
    local = await Service.select().where(Service.name_fi == "Kallion ilta").first()
    assert local["key"] is None and local["created_by"] == world.lena and local["quick_link"] is True
    assert "Kallion ilta" in (await client.get("/services")).text
    national = await Service.select(Service.id).where(Service.key.is_not_null()).first()
    assert (await post_form(client, f"/services/{national['id']}/retire")).status_code == 404
    assert (await post_form(client, f"/services/{local['id']}/retire")).status_code == 303
    assert "Kallion ilta" not in (await client.get("/services")).text
