"""Working hours: adding and measuring working time in a calendar's zone, holidays, config files."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.working_hours import (
    Calendar,
    CalendarSpec,
    add_working_hours,
    load_calendars,
    working_seconds_between,
)

MSK = Calendar()  # 09:00-21:00 every day, Europe/Moscow (UTC+3, no DST)
OFFICE = CalendarSpec(hours={"mon-fri": "09:00-18:00"}, holidays=[date(2026, 1, 1)]).build("office")
NIGHT = CalendarSpec(timezone="Europe/Berlin", hours={"daily": ["08:00-12:00", "22:00-02:00"]}).build("night")


def utc(*parts: int) -> datetime:
    """A UTC instant."""
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_the_default_calendar_works_nine_to_nine_moscow_time() -> None:
    # 20:00 MSK on a Wednesday: one working hour left today, two more from 09:00 MSK on Thursday
    assert add_working_hours(MSK, utc(2026, 11, 25, 17, 0), 3) == utc(2026, 11, 26, 8, 0)


def test_starting_at_night_waits_for_the_morning() -> None:
    assert add_working_hours(MSK, utc(2026, 11, 25, 22, 0), 1) == utc(2026, 11, 26, 7, 0)


def test_zero_hours_is_the_start_itself() -> None:
    night = utc(2026, 11, 25, 22, 0)
    assert add_working_hours(MSK, night, 0) == night


def test_an_exact_fit_ends_at_closing_time_not_the_next_morning() -> None:
    assert add_working_hours(MSK, utc(2026, 11, 25, 6, 0), 12) == utc(2026, 11, 25, 18, 0)


def test_weekends_and_holidays_do_not_count() -> None:
    # Wednesday 31 Dec 2025, 17:00 MSK: one hour left; 1 Jan is a holiday, 2 Jan a Friday, then the weekend
    start = utc(2025, 12, 31, 14, 0)
    assert add_working_hours(OFFICE, start, 1 + 9 + 2) == utc(2026, 1, 5, 8, 0)
    assert working_seconds_between(OFFICE, start, utc(2026, 1, 5, 8, 0)) == 12 * 3600


def test_measuring_counts_only_working_intervals() -> None:
    assert working_seconds_between(MSK, utc(2026, 11, 25, 0, 0), utc(2026, 11, 27, 0, 0)) == 24 * 3600
    assert working_seconds_between(MSK, utc(2026, 11, 25, 19, 0), utc(2026, 11, 26, 5, 0)) == 0
    assert working_seconds_between(MSK, utc(2026, 11, 26, 0, 0), utc(2026, 11, 25, 0, 0)) == 0


def test_a_night_shift_spans_midnight_in_its_own_zone() -> None:
    # Berlin in winter is UTC+1: the shift 22:00-02:00 local is 21:00-01:00 UTC
    assert add_working_hours(NIGHT, utc(2026, 1, 14, 20, 0), 3) == utc(2026, 1, 15, 0, 0)


def test_daylight_saving_day_has_its_real_length() -> None:
    # Berlin springs forward on 29 Mar 2026: 00:00-02:00 is still two hours of work, then 08:00-12:00 CEST
    assert working_seconds_between(NIGHT, utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 10, 0)) == (2 + 4) * 3600


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_hours(MSK, datetime(2026, 1, 1, 12, 0), 1)


def test_a_calendar_without_working_time_is_refused() -> None:
    with pytest.raises(ValueError, match="some working time"):
        CalendarSpec(hours={"daily": "off"}).build("never")


def test_unknown_timezones_and_bad_hours_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown timezone"):
        CalendarSpec(timezone="Mars/Olympus").build("x")
    with pytest.raises(ValueError, match="HH:MM"):
        CalendarSpec(hours={"mon": "nine to five"}).build("x")
    with pytest.raises(ValueError, match="weekday"):
        CalendarSpec(hours={"someday": "09:00-18:00"}).build("x")


def test_the_shipped_calendars_load_and_resolve_by_group_and_region(tmp_path: Path) -> None:
    book = load_calendars()
    assert book.get(None) == Calendar()
    assert book.for_group("office").name == "office"
    assert book.for_group(None, "far_east").timezone == "Asia/Vladivostok"
    assert book.for_group("no-such-calendar", None).name == "default"
    broken = tmp_path / "calendars.yml"
    broken.write_text("calendars:\n  shop: {timezone: Nowhere/City}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="calendar 'shop'"):
        load_calendars(broken)


starts = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC))
hours = st.floats(min_value=0, max_value=200, allow_nan=False).map(lambda h: round(h, 3))


@settings(max_examples=150, deadline=None)
@given(calendar=st.sampled_from([MSK, OFFICE, NIGHT]), start=starts, amount=hours)
def test_adding_then_measuring_round_trips(calendar: Calendar, start: datetime, amount: float) -> None:
    end = add_working_hours(calendar, start, amount)
    assert end >= start
    assert working_seconds_between(calendar, start, end) == pytest.approx(amount * 3600, abs=1e-3)


@settings(max_examples=100, deadline=None)
@given(calendar=st.sampled_from([MSK, OFFICE, NIGHT]), start=starts, a=hours, b=hours)
def test_adding_in_two_steps_equals_adding_once(calendar: Calendar, start: datetime, a: float, b: float) -> None:
    once = add_working_hours(calendar, start, a + b)
    twice = add_working_hours(calendar, add_working_hours(calendar, start, a), b)
    assert abs(once - twice) <= timedelta(milliseconds=1)
