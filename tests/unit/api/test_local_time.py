"""One time-zone rule for every page: the `clock` and `when` filters show a moment in the zone the page was
given (the configured one), relative to the "now" it was given; nothing here reads the machine's clock or zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from api.local_time import clock, iso_local, when
from api.templating import templates

MOSCOW, VLADIVOSTOK = ZoneInfo("Europe/Moscow"), ZoneInfo("Asia/Vladivostok")
AT = datetime(2026, 11, 24, 20, 30, tzinfo=UTC)  # 23:30 in Moscow, 06:30 next day in Vladivostok


def render(source: str, **context: object) -> str:
    """A template string rendered by the pages' one environment (its filters) with an injected context."""
    return templates.env.from_string(source).render(**context)


def test_when_shows_the_moment_in_the_given_zone() -> None:
    assert when(AT, MOSCOW) == "24.11.2026 23:30"
    assert when(AT, VLADIVOSTOK) == "25.11.2026 06:30"
    assert when(None, MOSCOW) == ""


def test_a_naive_moment_from_a_store_is_utc_not_local_time() -> None:
    assert when(AT.replace(tzinfo=None), MOSCOW) == "24.11.2026 23:30"


@pytest.mark.parametrize(("now", "zone", "shown"), [
    (AT + timedelta(minutes=10), MOSCOW, "23:30"),            # the same Moscow day: time only
    (AT + timedelta(hours=1), MOSCOW, "24.11 23:30"),          # 00:30 on the 25th in Moscow: another day
    (AT + timedelta(hours=1), VLADIVOSTOK, "06:30"),           # both on the 25th in Vladivostok
    (AT - timedelta(hours=8), VLADIVOSTOK, "25.11 06:30"),     # the same UTC day, but 22:30 on the 24th there
])
def test_clock_compares_days_in_the_zone_not_in_utc(now: datetime, zone: ZoneInfo, shown: str) -> None:
    assert clock(AT, zone, now) == shown


def test_iso_local_carries_the_zones_offset() -> None:
    assert iso_local(AT, MOSCOW) == "2026-11-24T23:30+03:00"


def test_the_page_filters_read_the_zone_and_now_the_page_was_given() -> None:
    page = "{{ at | clock }} / {{ at | when }}"

    assert render(page, at=AT, zone=VLADIVOSTOK, now=AT) == "06:30 / 25.11.2026 06:30"
    assert render(page, at=AT, zone=MOSCOW, now=AT + timedelta(days=2)) == "24.11 23:30 / 24.11.2026 23:30"


def test_without_a_zone_the_filters_fall_back_to_moscow_never_the_servers_zone() -> None:
    assert render("{{ at | when }}", at=AT, now=AT) == "24.11.2026 23:30"
