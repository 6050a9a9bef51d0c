"""Night shifts and holidays: a shift belongs to the day it starts on, so a holiday drops that shift whole."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hub.working_hours import CalendarSpec, add_working_hours, working_seconds_between

# Moscow (UTC+3, no DST): every night 22:00-06:00; 1 January is a holiday.
NIGHTS = CalendarSpec(hours={"daily": "22:00-06:00"}, holidays=[date(2026, 1, 1)]).build("nights")
NEW_YEARS_EVE_22 = datetime(2025, 12, 31, 19, 0, tzinfo=UTC)  # 22:00 MSK on 31 December


def test_the_shift_starting_the_evening_before_a_holiday_is_worked_to_its_end() -> None:
    # 31 Dec 22:00 -> 1 Jan 06:00 is the 31st's shift: eight hours end at 06:00 on the holiday morning.
    assert add_working_hours(NIGHTS, NEW_YEARS_EVE_22, 8) == datetime(2026, 1, 1, 3, 0, tzinfo=UTC)


def test_the_shift_starting_on_the_holiday_is_not_worked() -> None:
    # After the 31st's shift, the next is the 2nd's at 22:00 (the 1st's, to 06:00 on the 2nd, is off).
    assert add_working_hours(NIGHTS, NEW_YEARS_EVE_22, 9) == datetime(2026, 1, 2, 20, 0, tzinfo=UTC)
    holiday_night = working_seconds_between(NIGHTS, datetime(2026, 1, 1, 3, 0, tzinfo=UTC),
                                            datetime(2026, 1, 2, 19, 0, tzinfo=UTC))
    assert holiday_night == 0


def test_a_night_shift_is_working_time_after_midnight() -> None:
    assert NIGHTS.is_working(datetime(2025, 12, 31, 23, 0, tzinfo=UTC))  # 02:00 MSK on 1 January
    assert not NIGHTS.is_working(datetime(2026, 1, 1, 23, 0, tzinfo=UTC))  # 02:00 on the 2nd: the 1st's shift


def test_a_night_shift_overlapping_the_next_days_hours_is_refused() -> None:
    with pytest.raises(ValueError, match="overlaps"):
        CalendarSpec(hours={"mon": "22:00-08:00", "tue": "07:00-12:00"}).build("clash")
