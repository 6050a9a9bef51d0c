"""Working hours: when a group works, so SLA deadlines count only the hours someone can act.

A `Calendar` is a week of working intervals per weekday (local wall time), holidays and a timezone.
`add_working_hours` walks forward from an instant through the working intervals; `working_seconds_between`
measures the working time inside a span. Both work on aware datetimes and answer in UTC; local days are
built in the calendar's zone (zoneinfo), so a DST change or a store in Vladivostok needs nothing special.

Calendars are named in a YAML file (`hub/calendars.yml` by default, `OTKLIK_CALENDARS_PATH` to override):

    calendars:
      default: {timezone: Europe/Moscow, hours: {daily: "09:00-21:00"}}
      finance: {timezone: Europe/Moscow, hours: {mon-fri: "09:00-18:00"}, holidays: [2026-01-01]}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.clock import known_timezone

DEFAULT_NAME = "default"
DEFAULT_TIMEZONE = "Europe/Moscow"
DEFAULT_CALENDARS_PATH = Path(__file__).with_name("calendars.yml")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_DAYS = 366 * 3  # a walk that finds no working time in three years is a broken calendar
# Minutes from local midnight, [start, end): a night shift belongs to the day it starts on and ends past
# 1440 (so a holiday drops the shift that starts on it, not the morning after).
Interval = tuple[int, int]
DAY_MINUTES = 1440


class Calendar(BaseModel):
    """Weekly working intervals per weekday (Monday first), holidays and a timezone."""

    model_config = ConfigDict(frozen=True)

    name: str = DEFAULT_NAME
    timezone: str = DEFAULT_TIMEZONE
    week: tuple[tuple[Interval, ...], ...] = tuple(((9 * 60, 21 * 60),) for _ in DAYS)  # 09:00-21:00 daily
    holidays: frozenset[date] = frozenset()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_timezone(value)

    @model_validator(mode="after")
    def _sane_week(self) -> Calendar:
        if len(self.week) != 7:
            raise ValueError("week: seven weekdays, Monday first")
        for index, day in enumerate(self.week):
            previous_end = 0
            for start, end in day:
                if not 0 <= start < DAY_MINUTES or not start < end <= start + DAY_MINUTES or start < previous_end:
                    raise ValueError(f"week: intervals must be ordered, non-overlapping, start within the day: {day}")
                previous_end = end
            following = self.week[(index + 1) % 7]
            if day and following and day[-1][1] - DAY_MINUTES > following[0][0]:
                raise ValueError(f"week: a night shift overlaps the next day's hours: {day[-1]} and {following[0]}")
        if not any(self.week):
            raise ValueError("a calendar needs some working time in the week")
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's timezone."""
        return ZoneInfo(self.timezone)

    def intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working intervals of one local day as UTC instants (none on a holiday)."""
        if day in self.holidays:
            return []
        return [(self._instant(day, start), self._instant(day, end)) for start, end in self.week[day.weekday()]]

    def _instant(self, day: date, minute: int) -> datetime:
        local = datetime.combine(day, time(0), tzinfo=self.zone) + timedelta(minutes=minute)
        # datetime + timedelta is wall-clock arithmetic: re-attach the zone to get the right offset
        local = local.replace(tzinfo=None).replace(tzinfo=self.zone)
        return local.astimezone(UTC)

    def is_working(self, at: datetime) -> bool:
        """Whether `at` falls inside a working interval (of its day, or a night shift of the day before)."""
        day = at.astimezone(self.zone).date()
        return any(start <= at < end for d in (day - timedelta(days=1), day) for start, end in self.intervals_on(d))


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("working hours need timezone-aware datetimes")
    return value.astimezone(UTC)


def _walk(calendar: Calendar, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Working intervals from `start` on, clipped to begin no earlier than `start`."""
    day = start.astimezone(calendar.zone).date() - timedelta(days=1)  # a night shift may span midnight
    for offset in range(MAX_DAYS):
        for begin, end in calendar.intervals_on(day + timedelta(days=offset)):
            if end > start:
                yield max(begin, start), end
    raise ValueError(f"calendar {calendar.name!r} has no working time within {MAX_DAYS} days of {start}")


def add_working_hours(calendar: Calendar, start: datetime, hours: float) -> datetime:
    """The instant (UTC) at which `hours` of working time have passed since `start`; 0 gives `start`."""
    if hours < 0:
        raise ValueError("hours must not be negative")
    start = _aware(start)
    left = timedelta(hours=hours)
    if not left:
        return start
    for begin, end in _walk(calendar, start):
        if end - begin >= left:
            return begin + left
        left -= end - begin
    raise AssertionError("unreachable: _walk ends by raising")


def working_seconds_between(calendar: Calendar, start: datetime, end: datetime) -> float:
    """Working seconds inside [start, end); 0 when `end` is not after `start`."""
    start, end = _aware(start), _aware(end)
    if end <= start:
        return 0.0
    total = 0.0
    day = start.astimezone(calendar.zone).date() - timedelta(days=1)
    last = end.astimezone(calendar.zone).date()
    while day <= last:
        for begin, finish in calendar.intervals_on(day):
            overlap = (min(finish, end) - max(begin, start)).total_seconds()
            total += max(overlap, 0.0)
        day += timedelta(days=1)
    return total


def _default_hours() -> dict[str, str | list[str]]:
    return {"daily": "09:00-21:00"}


class CalendarSpec(BaseModel):
    """One calendar as written in the config file."""

    timezone: str = DEFAULT_TIMEZONE
    hours: dict[str, str | list[str]] = Field(default_factory=_default_hours)
    holidays: list[date] = Field(default_factory=list)

    def build(self, name: str) -> Calendar:
        """The Calendar this spec describes; ValueError naming the bad part otherwise."""
        week: list[list[Interval]] = [[] for _ in DAYS]
        for days, spans in self.hours.items():
            for index in _day_indexes(days):
                for span in [spans] if isinstance(spans, str) else spans:
                    week[index].extend(_intervals(span))
        return Calendar(name=name, timezone=self.timezone,
                        week=tuple(tuple(sorted(day)) for day in week), holidays=frozenset(self.holidays))


def _day_indexes(days: str) -> list[int]:
    """'daily', 'mon', 'mon-fri', 'sat,sun' -> weekday numbers."""
    if days == "daily":
        return list(range(7))
    indexes: list[int] = []
    for part in days.split(","):
        first, _, last = part.strip().partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"hours: unknown weekday in {days!r} (use mon..sun, ranges, 'daily')")
        a, b = DAYS.index(first), DAYS.index(last or first)
        indexes.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return indexes


def _intervals(span: str) -> list[Interval]:
    """'09:00-21:00' -> one interval; 'off' -> none; '22:00-06:00' runs past midnight (end above 1440)."""
    if span.strip() == "off":
        return []
    try:
        start_text, end_text = span.split("-")
        start, end = _minutes(start_text), _minutes(end_text)
    except ValueError as e:
        raise ValueError(f"hours: {span!r} is not 'HH:MM-HH:MM' or 'off'") from e
    if start == end:
        raise ValueError(f"hours: {span!r} is empty")
    if end < start:  # a night shift: on into the next day, still the shift of the day it starts on
        return [(start, end + DAY_MINUTES)]
    return [(start, end)]


def _minutes(text: str) -> int:
    hours, minutes = (int(part) for part in text.strip().split(":"))
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        raise ValueError(text)
    return hours * 60 + minutes


class CalendarBook:
    """Named calendars, and which one a group or region works by."""

    def __init__(self, calendars: Mapping[str, Calendar]) -> None:
        self.calendars = {DEFAULT_NAME: Calendar(), **calendars}

    def get(self, name: str | None) -> Calendar:
        """The named calendar; the default for None or an unknown name (a group must not stop the SLA)."""
        return self.calendars.get(name or DEFAULT_NAME, self.calendars[DEFAULT_NAME])

    def for_group(self, calendar: str | None, region: str | None = None) -> Calendar:
        """A group's own calendar, else its region's (`region:<name>`), else the default."""
        if calendar and calendar in self.calendars:
            return self.calendars[calendar]
        if region and f"region:{region}" in self.calendars:
            return self.calendars[f"region:{region}"]
        return self.calendars[DEFAULT_NAME]


def load_calendars(path: str | Path | None = None) -> CalendarBook:
    """The calendars of a YAML file (the shipped one when None); ValueError naming the calendar."""
    raw: Any = yaml.safe_load(Path(path or DEFAULT_CALENDARS_PATH).read_text(encoding="utf-8")) or {}
    specs = raw.get("calendars", {}) if isinstance(raw, dict) else None
    if not isinstance(specs, dict):
        raise ValueError(f"{path}: expected a 'calendars' mapping")
    calendars: dict[str, Calendar] = {}
    for name, spec in specs.items():
        try:
            calendars[str(name)] = CalendarSpec.model_validate(spec or {}).build(str(name))
        except ValueError as e:
            raise ValueError(f"{path}: calendar {name!r}: {e}") from e
    return CalendarBook(calendars)
