"""Days are Helsinki calendar days: 23 or 25 hours long on DST change days."""

from datetime import UTC, date, datetime

from server.timeutil import local_day_bounds
from server.validation import local_wall_clock


def test_a_normal_day_is_24_hours_from_local_midnight():
    start, end = local_day_bounds(date(2026, 11, 23))
    assert start == datetime(2026, 11, 22, 22, 0, tzinfo=UTC)
    assert (end - start).total_seconds() == 24 * 3600


def test_the_spring_forward_day_is_23_hours_and_the_autumn_day_25():
    spring_start, spring_end = local_day_bounds(date(2026, 3, 29))
    autumn_start, autumn_end = local_day_bounds(date(2026, 10, 25))
    assert (spring_end - spring_start).total_seconds() == 23 * 3600
    assert (autumn_end - autumn_start).total_seconds() == 25 * 3600


def test_a_late_evening_visit_belongs_to_its_local_day():
    visit = local_wall_clock(datetime(2026, 3, 28, 23, 30)).astimezone(UTC)
    start, end = local_day_bounds(date(2026, 3, 28))
    assert start <= visit < end
    next_start, _next_end = local_day_bounds(date(2026, 3, 29))
    assert not next_start <= visit


def test_wall_clock_times_in_the_gap_do_not_exist_and_the_double_hour_takes_the_first():
    assert local_wall_clock(datetime(2026, 3, 29, 3, 30)) is None
    first = local_wall_clock(datetime(2026, 10, 25, 3, 30)).astimezone(UTC)
    assert first == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
