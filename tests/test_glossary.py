"""The UI speaks one Finnish and one Swedish: numbers agree with their nouns, one word per thing
(docs/glossary.md), and nothing is left in English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.test_translations import source_msgids

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "docs" / "glossary.md"

pytestmark = pytest.mark.anyio

# English words that end in -s without being plural nouns (the heuristic below looks for plurals).
NOT_PLURAL = {
    "is",
    "was",
    "has",
    "this",
    "its",
    "as",
    "us",
    "his",
    "yes",
    "less",
    "anonymous",
    "previous",
    "various",
    "across",
    "process",
    "access",
    "address",
    "success",
    "status",
    "plus",
    "bus",
    "always",
    "does",
    "goes",
    "needs",
    "takes",
    "wants",
    "gets",
    "comes",
    "works",
    "says",
    "shows",
    "uses",
    "means",
    "stays",
    "helps",
    "opens",
    "asks",
    "sends",
    "keeps",
    "lets",
    "makes",
    "runs",
    "starts",
    "ends",
    "follows",
    "waits",
    "belongs",
    "contains",
    "reaches",
    "misses",
    "passes",
}
IRREGULAR_PLURALS = {"people", "children", "men", "women", "persons"}
PLACEHOLDER = r"(?:%\(\w+\)[sd]|%[sd]|\{\w*\})"


def _is_plural_noun(word: str) -> bool:
    word = word.lower().strip(".,:;!?()")
    if word in IRREGULAR_PLURALS:
        return True
    return len(word) > 3 and word.endswith("s") and not word.endswith("ss") and word not in NOT_PLURAL


def number_before_plural_noun(text: str) -> bool:
    """True when a placeholder stands right before a plural noun (at most one word between)."""
    for match in re.finditer(PLACEHOLDER + r"\s+([A-Za-z-]+)(?:\s+([A-Za-z-]+))?", text):
        words = [w for w in match.groups() if w]
        if words and (_is_plural_noun(words[0]) or (len(words) > 1 and _is_plural_noun(words[1]))):
            return True
    return False


def _catalog(language: str):
    with open(ROOT / "server" / "locale" / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=language)


# --- (a) numbers before plural nouns go through ngettext -----------------------------------------


def test_the_heuristic_finds_a_count_before_a_plural_noun():
    assert number_before_plural_noun("%(n)s follow-ups")
    assert number_before_plural_noun("{n} visits")
    assert number_before_plural_noun("This week: %(known)s clients met")
    assert number_before_plural_noun("%(num)s active clients")
    assert not number_before_plural_noun("Client no. %(num)d")
    assert not number_before_plural_noun("%(hours)s h this month")
    assert not number_before_plural_noun("Appointment today at %(time)s")


@pytest.mark.parametrize("language", ["en", "fi", "sv"])
def test_no_singular_msgid_puts_a_count_before_a_plural_noun(language):
    offending = [m.id for m in _catalog(language) if m.id and not m.pluralizable and number_before_plural_noun(m.id)]
    assert offending == [], f"use ngettext for: {offending}"


def test_no_gettext_call_in_the_source_puts_a_count_before_a_plural_noun():
    offending = sorted(m for m in source_msgids() if number_before_plural_noun(m))
    # source_msgids keeps the singular of an ngettext pair, so the singular must not be plural itself:
    assert offending == [], f"use ngettext for: {offending}"


TEMPLATE_COUNT_THEN_LABEL = re.compile(
    r"(?:\b\d+|\}\})\s*(?:</span>\s*<span[^>]*>\s*)?\{\{\s*_\(\s*[\"']([^\"']+)[\"']"
)


def test_templates_do_not_set_a_number_before_a_plain_gettext_noun():
    """ "90 {{ _("days") }}" or a big number with {{ _("follow-ups due") }} under it: the noun
    does not know the number, so Finnish gets "1 seurantaa". Use ngettext with the count."""
    offending = []
    for path in sorted((ROOT / "web" / "templates").rglob("*.html")):
        for match in TEMPLATE_COUNT_THEN_LABEL.finditer(path.read_text(encoding="utf-8")):
            first_words = match.group(1).split()[:2]
            if any(_is_plural_noun(word) for word in first_words):
                offending.append(f"{path.relative_to(ROOT)}: {match.group(0)!r}")
    assert offending == []


PYTHON_COUNT_THEN_NOUN = [
    re.compile(r"""f["'][^"'\n]*\{[^}]+\}\s+([A-Za-z-]+)"""),  # f"{n} visits"
    re.compile(r"""str\([^)]*\)\s*\+\s*["']\s+([A-Za-z-]+)"""),  # str(n) + " visits"
    re.compile(r"""["'][^"'\n]*%[sd]\s+([A-Za-z-]+)[^"'\n]*["']\s*%"""),  # "%d visits" % n
]


# The command line speaks English to the operator only (rinnalla backup, verify-log, ...).
ENGLISH_ONLY = ("server/cli.py", "server/ops/")


def test_python_and_scripts_do_not_glue_a_count_to_a_noun():
    offending = []
    paths = list((ROOT / "server").rglob("*.py")) + list((ROOT / "web" / "static" / "js").rglob("*.js"))
    for path in sorted(paths):
        if str(path.relative_to(ROOT)).startswith(ENGLISH_ONLY):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith(("#", "//", "*")):
                continue
            for pattern in PYTHON_COUNT_THEN_NOUN:
                for match in pattern.finditer(line):
                    if _is_plural_noun(match.group(1)):
                        offending.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offending == []


# --- (b) one word per thing: the glossary ---------------------------------------------------------


def glossary_rows() -> list[dict[str, str]]:
    rows = []
    header: list[str] | None = None
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            header = None if not rows and header is None else header
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif not set("".join(cells)) <= set("- "):
            rows.append(dict(zip(header, cells, strict=False)))
    return rows


def _words(cell: str) -> list[str]:
    return [word.strip() for word in cell.split(",") if word.strip()]


def _en_pattern(term: str) -> re.Pattern:
    parts = [re.escape(word) + "s?" for word in term.split()]
    return re.compile(r"\b" + r"\s+".join(parts) + r"\b", re.IGNORECASE)


def _terms_named(msgid: str, rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Glossary rows whose English term is in the msgid; a longer term hides a shorter one inside it."""
    spans = []
    for row in rows:
        en = re.sub(r"\s*\(.*\)", "", row["en"])
        for match in _en_pattern(en).finditer(msgid):
            spans.append((match.start(), match.end(), row))
    kept = [
        s
        for s in spans
        if not any(o is not s and o[0] <= s[0] and s[1] <= o[1] and (o[1] - o[0]) > (s[1] - s[0]) for o in spans)
    ]
    return [row for _start, _end, row in kept]


def test_the_glossary_is_read():
    rows = glossary_rows()
    by_en = {row["en"]: row for row in rows}
    assert by_en["referral"]["fi"] == "ohjaus" and by_en["referral"]["sv"] == "hänvisning"
    assert by_en["follow-up"]["fi"] == "seuranta" and by_en["follow-up"]["sv"] == "uppföljning"


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_translations_avoid_the_words_the_glossary_rules_out(language):
    avoided = [(word, row["en"]) for row in glossary_rows() for word in _words(row[f"avoid {language}"])]
    offending = []
    for message in _catalog(language):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            for word, term in avoided:
                # "remiss*" is a stem (remissen, remisser); a word without * is matched whole.
                pattern = r"\b" + (re.escape(word[:-1]) if word.endswith("*") else re.escape(word) + r"\b")
                if re.search(pattern, text or "", re.IGNORECASE):
                    offending.append(f"{term}: {word!r} in {text!r}")
    assert offending == []


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_translations_use_the_glossary_term_for_what_the_msgid_names(language):
    rows = [row for row in glossary_rows() if row[f"{language} stem"]]
    offending = []
    for message in _catalog(language):
        if not message.id:
            continue
        msgids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for row in _terms_named(msgids[0], rows):
            stem = row[f"{language} stem"]
            if not all(re.search(re.escape(stem), text or "", re.IGNORECASE) for text in strings):
                offending.append(f"{row['en']} -> {stem}-: {msgids[0]!r} = {strings[0]!r}")
    assert offending == []


# --- (c) no English left in the Finnish or Swedish UI ---------------------------------------------

# Proper names, codes and words that are the same in the other language.
SAME_AS_ENGLISH = {
    "fi": {"OK", "Rinnalla"},
    "sv": {"OK", "Rinnalla", "Team", "Status", "Period", "Individuell", "Grupp"},
}


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_no_translation_is_left_in_english(language):
    offending = []
    for message in _catalog(language):
        if not message.id:
            continue
        msgids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid, text in zip(msgids, strings, strict=False):
            if text != msgid or text in SAME_AS_ENGLISH[language]:
                continue
            if re.search(r"[A-Za-z]{3,}", re.sub(PLACEHOLDER, "", msgid)):
                offending.append(msgid)
    assert offending == []


async def test_the_directorys_english_check_notes_reach_only_the_lead(client, world):
    """A worker reads the directory in Finnish only; the lead, who keeps the list, sees what to check."""
    from server.services.directory import load_national_services
    from tests.support.fixtures import login

    await load_national_services()
    note = "Numbers seen on MIELI's page"
    await login(client, "alice@example.org")
    page = await client.get("/services", params={"q": "MIELI"})
    assert page.status_code == 200 and "MIELI" in page.text
    assert note not in page.text.replace("&#39;", "'") and "Check before" not in page.text
    client.cookies.clear()
    await login(client, "lena@example.org")
    page = await client.get("/services", params={"q": "MIELI"})
    assert note in page.text.replace("&#39;", "'")
