"""Languages: Finnish by default, Swedish and English, through gettext catalogues (Babel).

Source strings are English msgids; `server/locale/<lang>/LC_MESSAGES/messages.po` holds the
translations, read at start-up (no compile step). The language of a request is chosen from the
user's setting, then the `lang` cookie (the switcher on the login page), then Accept-Language.
"""

from __future__ import annotations

import contextvars
import gettext as _gettext
import io
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.dates import format_time as _format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from server.timeutil import local_zone

LANGUAGES = ("fi", "sv", "en")
DEFAULT_LANGUAGE = "fi"
LANGUAGE_NAMES = {"fi": "Suomi", "sv": "Svenska", "en": "English"}
LOCALE_DIR = Path(__file__).parent / "locale"

_current = contextvars.ContextVar("rinnalla_language", default=DEFAULT_LANGUAGE)


@cache
def translations(language: str) -> _gettext.NullTranslations:
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return _gettext.NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def set_language(language: str) -> contextvars.Token:
    return _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def current_language() -> str:
    return _current.get()


def gettext(message: str) -> str:
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language()).ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    return message


_ = gettext


def parse_accept_language(header: str) -> str | None:
    """The best of our languages in an Accept-Language header, by q-value then order."""
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in {"nb", "nn", "no"}:
            primary = "sv"  # closer to Swedish than to Finnish for a Nordic reader
        if primary in LANGUAGES and quality > 0:
            choices.append((-quality, position, primary))
    return min(choices)[2] if choices else None


def choose_language(user_language: str | None, cookie_language: str | None, accept_language: str) -> str:
    for candidate in (user_language, cookie_language):
        if candidate in LANGUAGES:
            return candidate
    return parse_accept_language(accept_language or "") or DEFAULT_LANGUAGE


# Formats follow Finland: Swedish as written in Finland, English with day-first dates.
_FORMAT_LOCALES = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_FI"}

# Finnish and Finland-Swedish everyday writing: 24.11.2026 kl. 9.30 rather than ISO dates.
_SHORT_DATE = {"fi": "d.M.yyyy", "sv": "d.M.yyyy", "en": "d MMM yyyy"}
_SHORT_TIME = {"fi": "H.mm", "sv": "H.mm", "en": "HH:mm"}
_AT = {"fi": " 'klo' ", "sv": " 'kl.' ", "en": "', '"}


@cache
def _format_locale(language: str) -> Locale:
    return Locale.parse(_FORMAT_LOCALES[language])


def _locale() -> Locale:
    """Parsed once per language: Locale.parse per formatted date was a visible part of list pages."""
    return _format_locale(current_language())


# The short formats above written out directly: Babel's formatter parses and applies the pattern
# on every call, and list pages (a client's 30 visits) format dozens of dates per request.
# tests/test_date_formats.py holds them equal to Babel's output for every language and month.
_AT_TEXT = {"fi": " klo ", "sv": " kl. ", "en": ", "}


@cache
def _month_abbreviations(language: str) -> dict[int, str]:
    return dict(_format_locale(language).months["format"]["abbreviated"])


def _short_date(day: date, language: str) -> str:
    if language == "en":
        return f"{day.day} {_month_abbreviations(language)[day.month]} {day.year:04d}"
    return f"{day.day}.{day.month}.{day.year:04d}"


def _short_time(moment: datetime, language: str) -> str:
    if language == "en":
        return f"{moment.hour:02d}:{moment.minute:02d}"
    return f"{moment.hour}.{moment.minute:02d}"


def format_datetime(moment: datetime | None, fmt: str = "short") -> str:
    if moment is None:
        return ""
    if fmt == "short":
        language = current_language()
        if moment.tzinfo is None:  # as Babel reads a naive time: UTC
            moment = moment.replace(tzinfo=UTC)
        local = moment.astimezone(local_zone())
        return f"{_short_date(local, language)}{_AT_TEXT[language]}{_short_time(local, language)}"
    return _format_datetime(moment, fmt, tzinfo=local_zone(), locale=_locale())


def format_date(day: date | datetime | None, fmt: str = "short") -> str:
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = day.astimezone(local_zone()).date()
    if fmt == "short":
        return _short_date(day, current_language())
    return _format_date(day, fmt, locale=_locale())


def format_time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return _format_time(moment, _SHORT_TIME[current_language()], tzinfo=local_zone(), locale=_locale())
