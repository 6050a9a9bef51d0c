"""How times and durations read on the case pages, in the viewer's language and the chain's time zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

Translate = Callable[..., str]
DISPLAY_ZONE = ZoneInfo("Europe/Moscow")  # the chain's head-office time; stores show their own in the directory


def when(at: datetime | None) -> str:
    """A timestamp as people read it: '24.11.2026 14:05' in Moscow time ('' for none)."""
    return "" if at is None else at.astimezone(DISPLAY_ZONE).strftime("%d.%m.%Y %H:%M")


def duration(seconds: float, t: Translate) -> str:
    """A span in the largest two units: '2 d 3 h', '45 min', '< 1 min'."""
    seconds = abs(seconds)
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return t("cases.duration.days_hours", days=days, hours=hours)
    if hours:
        return t("cases.duration.hours_minutes", hours=hours, minutes=minutes)
    if minutes:
        return t("cases.duration.minutes", minutes=minutes)
    return t("cases.duration.under_minute")
