"""Time: aware UTC in the database, Europe/Helsinki (the TZ setting) for people."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from server.settings import get_settings


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_zone():
    return get_settings().timezone


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(local_zone())


def local_today() -> date:
    return utcnow().astimezone(local_zone()).date()


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants where a local calendar day starts and ends (23 or 25 h on DST days)."""
    zone = local_zone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(date.fromordinal(day.toordinal() + 1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)
