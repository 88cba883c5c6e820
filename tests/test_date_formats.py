"""The short date and time formats, written out in server/i18n.py for speed, read exactly as
Babel's patterns (_SHORT_DATE, _AT, _SHORT_TIME) format them: every language, every month,
single- and double-digit days, hours and minutes, summer and winter time, naive and aware times."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime

from server import i18n
from server.timeutil import local_zone

MOMENTS = [
    datetime(2026, month, day, hour, minute, tzinfo=UTC)
    for month in range(1, 13)
    for day, hour, minute in ((1, 0, 5), (9, 7, 30), (28, 21, 59))
] + [
    datetime(2026, 3, 29, 0, 59, tzinfo=UTC),  # the hour summer time begins in Helsinki
    datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # the hour that comes twice
    datetime(2026, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=-5))),  # another zone: next year here
    datetime(2026, 6, 15, 12, 0),  # naive: read as UTC
]


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_short_datetime_and_date_read_as_babels_patterns(language):
    token = i18n.set_language(language)
    try:
        locale = i18n._locale()
        pattern = f"{i18n._SHORT_DATE[language]}{i18n._AT[language]}{i18n._SHORT_TIME[language]}"
        for moment in MOMENTS:
            expected = babel_datetime(moment, pattern, tzinfo=local_zone(), locale=locale)
            assert i18n.format_datetime(moment) == expected, moment
            aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
            day = aware.astimezone(local_zone()).date()
            assert i18n.format_date(moment) == babel_date(day, i18n._SHORT_DATE[language], locale=locale)
            assert i18n.format_date(day) == babel_date(day, i18n._SHORT_DATE[language], locale=locale)
        assert i18n.format_date(date(1999, 1, 2)) == babel_date(
            date(1999, 1, 2), i18n._SHORT_DATE[language], locale=locale
        )
    finally:
        i18n._current.reset(token)
