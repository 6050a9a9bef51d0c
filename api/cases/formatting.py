"""How durations read on the case pages, in the viewer's language (moments: api/local_time.py's `when`)."""

from __future__ import annotations

from collections.abc import Callable

Translate = Callable[..., str]
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
