"""Finnish by default, Swedish and English on request; <html lang> says which."""

from datetime import UTC

import pytest

from server.accounts.tables import User
from tests.support.fixtures import login, post_form

pytestmark = pytest.mark.anyio


def html_lang(response) -> str:
    return response.text.split('<html lang="', 1)[1].split('"', 1)[0]


async def test_finnish_is_the_default(client, world):
    response = await client.get("/login", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert html_lang(response) == "fi"
    assert "Kirjaudu sisään" in response.text


@pytest.mark.parametrize(
    "header, language, words",
    [
        ("sv-FI,sv;q=0.9,en;q=0.5", "sv", "Logga in"),
        ("en-GB,en;q=0.9", "en", "Log in"),
        ("en;q=0.5,sv;q=0.8", "sv", "Logga in"),
    ],
)
async def test_browser_language_is_followed(client, world, header, language, words):
    response = await client.get("/login", headers={"Accept-Language": header})
    assert html_lang(response) == language
    assert words in response.text


async def test_the_switch_on_the_login_page_remembers_the_choice(client, world):
    response = await post_form(client, "/language", {"language": "sv", "next": "/login"})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    page = await client.get("/login", headers={"Accept-Language": "en"})
    assert html_lang(page) == "sv"


async def test_a_users_own_setting_wins_over_the_browser(client, world):
    await login(client, "alice@example.org")
    await post_form(client, "/language", {"language": "sv", "next": "/settings"})
    assert (await User.select(User.language).where(User.email == "alice@example.org").first())["language"] == "sv"
    client.cookies.delete("lang")
    page = await client.get("/settings", headers={"Accept-Language": "en"})
    assert html_lang(page) == "sv"
    assert "Inställningar" in page.text


async def test_an_unknown_language_changes_nothing(client, world):
    response = await post_form(client, "/language", {"language": "xx", "next": "/login"})
    assert response.status_code == 303
    assert "lang" not in client.cookies


async def test_dates_are_finnish_style_in_helsinki_time():
    from datetime import datetime

    from server import i18n

    moment = datetime(2026, 11, 23, 22, 30, tzinfo=UTC)  # 00.30 on the 24th in Helsinki
    i18n.set_language("fi")
    assert i18n.format_datetime(moment) == "24.11.2026 klo 0.30"
    i18n.set_language("sv")
    assert i18n.format_datetime(moment) == "24.11.2026 kl. 0.30"
    i18n.set_language("en")
    assert i18n.format_datetime(moment) == "24 Nov 2026, 00:30"
    i18n.set_language("fi")
