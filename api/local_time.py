"""One time-zone rule for every page: instants are stored in UTC and shown in the configured zone
(`OTKLIK_TIMEZONE`, Moscow by default), never the server's own zone and never raw UTC.

Templates use two filters registered on the one Jinja2 environment (api/templating.py):

    {{ item.at | clock }}    '14:05' today, '03.11 14:05' on another day (in the zone's calendar)
    {{ case.due | when }}    '24.11.2026 14:05'

Both read the zone (and, for `clock`, "now") from the page context that `api/templating.py` fills in, so a
test renders with any zone and clock it injects.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import pass_context
from jinja2.runtime import Context

from models.clock import utcnow

DEFAULT_ZONE = "Europe/Moscow"


@lru_cache(maxsize=32)
def zone_named(name: str) -> ZoneInfo:
    """The zone called `name` (settings validated it at start)."""
    return ZoneInfo(name)


def _aware(at: datetime) -> datetime:
    # A naive datetime read back from a store is UTC by our storage rule, not local time.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def when(at: datetime | None, zone: tzinfo) -> str:
    """A moment as people read it: '24.11.2026 14:05' in `zone` ('' for none)."""
    return "" if at is None else _aware(at).astimezone(zone).strftime("%d.%m.%Y %H:%M")


def clock(at: datetime | None, zone: tzinfo, now: datetime) -> str:
    """'14:05' when `at` falls on the same day as `now` in `zone`, else '03.11 14:05' ('' for none)."""
    if at is None:
        return ""
    local = _aware(at).astimezone(zone)
    today = _aware(now).astimezone(zone).date()
    return local.strftime("%H:%M" if local.date() == today else "%d.%m %H:%M")


def iso_local(at: datetime, zone: tzinfo) -> str:
    """The moment in `zone` as ISO 8601 with its offset (for `<time datetime>` and tooltips)."""
    return _aware(at).astimezone(zone).isoformat(timespec="minutes")


def _zone_of(context: Context) -> tzinfo:
    zone = context.get("zone")
    return zone if isinstance(zone, tzinfo) else zone_named(DEFAULT_ZONE)


def _now_of(context: Context) -> datetime:
    now = context.get("now")
    return now if isinstance(now, datetime) else utcnow()


@pass_context
def clock_filter(context: Context, at: datetime | None) -> str:
    """Jinja filter `clock`: `clock(at)` in the page's zone, relative to the page's now."""
    return clock(at, _zone_of(context), _now_of(context))


@pass_context
def when_filter(context: Context, at: datetime | None) -> str:
    """Jinja filter `when`: `when(at)` in the page's zone."""
    return when(at, _zone_of(context))


@pass_context
def iso_filter(context: Context, at: datetime) -> str:
    """Jinja filter `iso_local`: the moment with the page zone's offset."""
    return iso_local(at, _zone_of(context))


FILTERS: dict[str, Any] = {"clock": clock_filter, "when": when_filter, "iso_local": iso_filter}
