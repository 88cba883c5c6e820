"""Reading what a person typed (form) or sent (API) into clean values, or field errors.

Both the HTML forms and the JSON API go through these parsers, so a bad date or an unknown
theme is refused the same way everywhere. Messages are English msgids, translated on the page.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from server.i18n import N_
from server.scope import MAX_ID
from server.timeutil import local_zone

MAX_NOTES = 4000

MAX_SHORT = 200
MAX_ANONYMOUS = 500

# Bidirectional overrides can make a name display as something else (Trojan-source style).
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


class InvalidInput(ValueError):
    """One or more fields were refused; `errors` maps field name to an English msgid."""

    status_code = 422

    def __init__(self, errors: dict[str, str]):
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class Reader:
    """Collects field errors while values are read, so a form shows every problem at once."""

    raw: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def done(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)

    def present(self, name: str) -> bool:
        value = self.raw.get(name)
        return value is not None and not (isinstance(value, str) and value.strip() == "")

    def text(self, name: str, max_length: int = MAX_SHORT, required: bool = False, multiline: bool = False) -> str:
        value = self.raw.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.fail(name, N_("Must be text."))
            return ""
        value = clean_text(value, multiline=multiline)
        if unstorable(value):
            self.fail(name, UNSTORABLE)
            return ""
        if not any(unicodedata.category(ch)[0] not in "ZC" for ch in value):
            value = ""  # only invisible characters (zero-width spaces, joiners): nothing was typed
        if required and not value:
            self.fail(name, N_("This field is required."))
        elif len(value) > max_length:
            self.fail(name, N_("Too long."))
        return value

    def integer(self, name: str, minimum: int, maximum: int, default: int | None = None) -> int | None:
        if not self.present(name):
            return default
        value = self.raw.get(name)
        try:
            number = int(value.strip()) if isinstance(value, str) else value
            if isinstance(number, bool) or not isinstance(number, int):
                raise ValueError
        except ValueError:
            self.fail(name, N_("Must be a whole number."))
            return default
        if not minimum <= number <= maximum:
            self.fail(name, N_("The number is out of range."))
            return default
        return number

    def row_id(self, name: str, required: bool = False) -> int | None:
        """The id of a row: a whole number that a database id can be."""
        value = self.integer(name, 1, MAX_ID)
        if required and value is None and name not in self.errors:
            self.fail(name, N_("This field is required."))
        return value

    def day(self, name: str, required: bool = False) -> date | None:
        if not self.present(name):
            if required:
                self.fail(name, N_("This field is required."))
            return None
        value = self.raw.get(name)
        try:
            parsed = date.fromisoformat(value.strip()) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None or not 1900 <= parsed.year <= 2200:
            self.fail(name, N_("Not a valid date."))
            return None
        return parsed

    def moment(self, name: str, required: bool = False, default: datetime | None = None) -> datetime | None:
        """An instant: ISO 8601 with an offset, or a local wall-clock time (a datetime-local input)."""
        if not self.present(name):
            if required and default is None:
                self.fail(name, N_("This field is required."))
            return default
        value = self.raw.get(name)
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00")) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None or not 1900 <= parsed.year <= 2200:
            self.fail(name, N_("Not a valid date and time."))
            return None
        if parsed.tzinfo is None:
            parsed = local_wall_clock(parsed)
            if parsed is None:
                self.fail(name, N_("This time does not exist on that day (the clocks moved forward)."))
                return None
        return parsed.astimezone(UTC)

    def choice(self, name: str, allowed: tuple[str, ...], default: str | None = None) -> str:
        value = self.raw.get(name)
        if value in (None, "") and default is not None:
            return default
        if value not in allowed:
            self.fail(name, N_("Not one of the allowed choices."))
            return default or ""
        return value

    def choices(self, name: str, allowed: tuple[str, ...]) -> list[str]:
        value = self.raw.get(name)
        if value in (None, ""):
            return []
        items = value if isinstance(value, list) else [value]
        if any(item not in allowed for item in items):
            self.fail(name, N_("Not one of the allowed choices."))
            return []
        return sorted(set(items), key=allowed.index)

    def flag(self, name: str) -> bool:
        value = self.raw.get(name)
        if isinstance(value, bool):
            return value
        return isinstance(value, str) and value.lower() in {"1", "true", "on", "yes"}

    def ids(self, name: str) -> list[int]:
        value = self.raw.get(name)
        if value is None or value == "":
            return []
        items = value if isinstance(value, list) else [value]
        result = []
        for item in items:
            try:
                number = int(item)
            except (TypeError, ValueError):
                self.fail(name, N_("Not one of the allowed choices."))
                return []
            if not 1 <= number <= MAX_ID:
                self.fail(name, N_("Not one of the allowed choices."))
                return []
            result.append(number)
        return sorted(set(result))

    def uuid(self, name: str) -> uuid.UUID | None:
        if not self.present(name):
            return None
        try:
            return uuid.UUID(str(self.raw.get(name)).strip())
        except ValueError:
            self.fail(name, N_("Not a valid id."))
            return None


UNSTORABLE = N_("Contains characters that cannot be stored.")


def unstorable(value: str) -> bool:
    """Text that must be refused (422) rather than stored or passed to a database query.

    NUL: PostgreSQL cannot store it in text. Lone surrogates ("\\ud800" in JSON): not Unicode
    text, no database or page can encode them. U+FFFD: what invalid UTF-8 in a form or URL
    decodes to (server/web/limits.py); storing it would keep text that was broken on its way.
    """
    if "\x00" in value:
        return True
    if value.isascii():
        return False
    try:
        value.encode("utf-8")  # fails on a lone surrogate
    except UnicodeEncodeError:
        return True
    return "\ufffd" in value


def search_text(value: str) -> str:
    """A search box's text: cleaned like any input; unstorable or over-long text finds nothing."""
    text = clean_text(value or "")
    return "" if unstorable(text) else text[:80]


_CONTROLS = re.compile("[\x01-\x1f\x7f-\x9f]")
_CONTROLS_BUT_LINES = re.compile("[\x01-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(value: str, multiline: bool = False) -> str:
    """NFC, no bidi overrides, no control characters but newlines in notes; trimmed."""
    value = unicodedata.normalize("NFC", value).translate(_BIDI_CONTROLS)
    # Every control character (category Cc: U+0001-U+001F, U+007F-U+009F) goes, but newlines and
    # tabs in notes; NUL stays, for `unstorable` to refuse the field by name.
    value = (_CONTROLS_BUT_LINES if multiline else _CONTROLS).sub("", value)
    if multiline:
        value = value.replace("\r\n", "\n")
        return value.strip()
    return " ".join(value.split())


def local_wall_clock(naive: datetime) -> datetime | None:
    """A Helsinki wall-clock time as an aware datetime; None inside the spring-forward gap.

    In the autumn hour that happens twice, the first occurrence (fold=0) is taken.
    """
    zone = local_zone()
    aware = naive.replace(tzinfo=zone)
    round_trip = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return aware if round_trip == naive else None
