"""Every string a person sees has a Finnish and a Swedish translation."""

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
METHODS = [("server/**.py", "python"), ("web/templates/**.html", "jinja2")]
OPTIONS = {"web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
# server/offline/texts.py hands plurals to the scripts through `_plural` (see Makefile `messages`).
KEYWORDS = {**DEFAULT_KEYWORDS, "_plural": (1, 2)}


def source_msgids() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT), METHODS, OPTIONS, keywords=KEYWORDS):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_every_msgid_is_translated(language):
    with open(ROOT / "server" / "locale" / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle, locale=language)
    translated = set()
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(strings):
            translated.add(key)
    in_source = source_msgids()
    assert "Log in" in in_source  # the extraction itself works
    missing = sorted(in_source - translated)
    assert missing == [], f"run `make messages` and translate: {missing}"
