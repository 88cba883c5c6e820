"""Edits that never overwrite each other: versions on clients and follow-ups, 409 in the API, and
the side-by-side choice of the HTML form (server/casework/versions.py, conflicts.py)."""

import re

import pytest

from server.casework.tables import AccessLog, Client, FollowUp
from tests.support.casework import api, make_client
from tests.support.fixtures import login, post_form

pytestmark = pytest.mark.anyio


async def _stored(client_id: int) -> dict:
    return (
        await Client.select(Client.phone, Client.status, Client.pseudonym, Client.version)
        .where(Client.id == client_id)
        .first()
    )


async def test_a_stale_patch_answers_409_with_the_current_record_and_writes_nothing(client, world):
    await login(client, "alice@example.org")
    client_id = await make_client(world.team_a, "Jonttu", phone="040 1")
    read = (await api(client, "GET", f"/api/v1/clients/{client_id}")).json()
    assert read["version"] == 1
    first = await api(client, "PATCH", f"/api/v1/clients/{client_id}", {"phone": "040 2", "version": 1})
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = await api(
        client, "PATCH", f"/api/v1/clients/{client_id}", {"phone": "040 3", "status": "paused", "version": 1}
    )
    assert stale.status_code == 409
    assert stale.json()["current"]["phone"] == "040 2" and stale.json()["current"]["version"] == 2
    assert await _stored(client_id) == {"phone": "040 2", "status": "active", "pseudonym": "Jonttu", "version": 2}
    # The conflict's read of the record is in the use log like any other read.
    assert await AccessLog.exists().where((AccessLog.client == client_id) & (AccessLog.what == "api_client_conflict"))
    again = await api(client, "PATCH", f"/api/v1/clients/{client_id}", {"phone": "040 3", "version": 2})
    assert again.status_code == 200 and again.json()["phone"] == "040 3" and again.json()["version"] == 3


@pytest.mark.parametrize("version", [None, "", "two", 0, True])
async def test_a_patch_without_a_valid_version_is_refused(client, world, version):
    await login(client, "alice@example.org")
    client_id = await make_client(world.team_a, "Jonttu", phone="040 1")
    body = {"phone": "040 9"} if version is None else {"phone": "040 9", "version": version}
    response = await api(client, "PATCH", f"/api/v1/clients/{client_id}", body)
    assert response.status_code == 422
    assert "version" in [e["field"] for e in response.json()["errors"]]
    assert await _stored(client_id) == {"phone": "040 1", "status": "active", "pseudonym": "Jonttu", "version": 1}


async def test_another_teams_client_is_404_before_any_version_check(client, world):
    await login(client, "dave@example.org")
    client_id = await make_client(world.team_a, "Jonttu")
    for body in ({"phone": "1"}, {"phone": "1", "version": 1}):
        assert (await api(client, "PATCH", f"/api/v1/clients/{client_id}", body)).status_code == 404


async def test_a_follow_up_tick_with_a_stale_version_answers_409(client, world):
    await login(client, "alice@example.org")
    client_id = await make_client(world.team_a, "Jonttu")
    made = (
        await api(
            client,
            "POST",
            "/api/v1/followups",
            {"client_id": client_id, "due_at": "2026-12-20T10:00:00+02:00", "note": "Kela"},
        )
    ).json()
    assert made["version"] == 1
    done = await api(client, "PATCH", f"/api/v1/followups/{made['id']}", {"done": True, "version": 1})
    assert done.status_code == 200 and done.json()["version"] == 2
    stale = await api(client, "PATCH", f"/api/v1/followups/{made['id']}", {"done": False, "version": 1})
    assert stale.status_code == 409 and stale.json()["current"]["done"] is True
    assert (await FollowUp.select(FollowUp.done_at).first())["done_at"] is not None
    # Without a version a tick always applies: it cannot overwrite anyone's text.
    assert (await api(client, "PATCH", f"/api/v1/followups/{made['id']}", {"done": False})).json()["version"] == 3


def _form_fields(html: str) -> list[tuple[str, str]]:
    """The name/value pairs a browser would send from the page's form (hidden, text, checked)."""
    fields = []
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if not name or name.group(1) == "_csrf_token":
            continue
        if kind and kind.group(1) in ("checkbox", "radio") and "checked" not in tag:
            continue
        fields.append((name.group(1), value.group(1) if value else ""))
    for select in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)"\s*selected', select.group(2))
        fields.append((select.group(1), chosen.group(1) if chosen else ""))
    return fields


async def _post_fields(client, path, fields, **changes):
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    for name, value in changes.items():
        data[name] = [value]
    return await post_form(client, path, {k: v if len(v) > 1 else v[0] for k, v in data.items()})


async def test_a_stale_form_save_shows_both_values_and_keeps_the_partners_change(client, world):
    await login(client, "alice@example.org")
    client_id = await make_client(world.team_a, "Jonttu", phone="040 1", institution="Vantaan vankila")
    path = f"/clients/{client_id}/edit"
    alices_form = _form_fields((await client.get(path)).text)
    assert ("version", "1") in alices_form
    # Bob (the partner) saves first: a new phone number and a new prison.
    bobs = await api(
        client,
        "PATCH",
        f"/api/v1/clients/{client_id}",
        {"phone": "050 BOB".replace("BOB", "222"), "institution": "Turun vankila", "version": 1},
    )
    assert bobs.status_code == 200
    # Alice's form was read before: she changed the phone too, and the status.
    answer = await _post_fields(client, path, alices_form, phone="040 333", status="paused")
    assert answer.status_code == 409
    html = answer.text
    assert "040 333" in html and "050 222" in html  # both phone numbers, side by side
    assert await _stored(client_id) == {"phone": "050 222", "status": "active", "pseudonym": "Jonttu", "version": 2}
    choice = _form_fields(html)
    # Only Bob changed the prison: preselected as his; only Alice the status: hers; both the phone: no choice.
    assert ("choose__institution", "theirs") in choice and ("choose__status", "mine") in choice
    assert not any(name == "choose__phone" for name, _ in choice)
    unchosen = await _post_fields(client, path, choice)
    assert unchosen.status_code == 422 and "040 333" in unchosen.text
    assert (await _stored(client_id))["version"] == 2
    saved = await _post_fields(client, path, _form_fields(unchosen.text), choose__phone="mine")
    assert saved.status_code == 303
    row = await Client.select(Client.phone, Client.status, Client.institution, Client.version).first()
    assert row == {"phone": "040 333", "status": "paused", "institution": "Turun vankila", "version": 3}


async def test_a_choice_made_stale_by_a_third_save_asks_again(client, world):
    await login(client, "alice@example.org")
    client_id = await make_client(world.team_a, "Jonttu", phone="040 1")
    path = f"/clients/{client_id}/edit"
    form = _form_fields((await client.get(path)).text)
    await api(client, "PATCH", f"/api/v1/clients/{client_id}", {"phone": "050 2", "version": 1})
    choice = _form_fields((await _post_fields(client, path, form, phone="040 3")).text)
    await api(client, "PATCH", f"/api/v1/clients/{client_id}", {"phone": "050 4", "version": 2})
    again = await _post_fields(client, path, choice, choose__phone="mine")
    assert again.status_code == 409 and "050 4" in again.text and "040 3" in again.text
    assert (await _stored(client_id))["phone"] == "050 4"
