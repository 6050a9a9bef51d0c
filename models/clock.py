"""Time in one place: always timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def known_timezone(name: str) -> str:
    """`name` if it is an IANA time zone this machine knows; ValueError (for validators) otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"unknown timezone {name!r} (e.g. Europe/Moscow)") from e
    return name


def local_date(moment: datetime, zone: str) -> date:
    """The calendar date people in `zone` see at `moment` ("today" for relative dates), not the server's."""
    return moment.astimezone(ZoneInfo(zone)).date()
