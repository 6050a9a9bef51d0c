"""Branch conditions: slot values, customer attributes, channel, language, business hours."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dialogs.model import WEEKDAYS, BusinessHours, Condition
from dialogs.templates import lookup


@dataclass(frozen=True)
class Facts:
    """What conditions are evaluated against in one turn."""

    slots: Mapping[str, Any]
    customer: Mapping[str, Any]
    channel: str
    language: str
    business_hours: bool


def holds(condition: Condition, facts: Facts) -> bool:
    """Whether the condition is true for these facts."""
    if condition.business_hours is not None:
        return condition.business_hours == facts.business_hours
    if condition.channel is not None:
        return _one_of(facts.channel, condition.channel)
    if condition.language is not None:
        return _one_of(facts.language, condition.language)
    if condition.slot is not None:
        value = lookup(condition.slot, facts.slots, {})
    else:
        value = facts.customer.get(condition.customer or "")
    return _test(condition, value)


def _one_of(actual: str, expected: str | list[str]) -> bool:
    return actual in ([expected] if isinstance(expected, str) else expected)


def _test(condition: Condition, value: Any) -> bool:
    tests = condition.tests()
    test = tests[0] if tests else "filled"
    if test == "filled":
        return _filled(value) == (condition.filled if condition.filled is not None else True)
    if test == "is":
        return _same(value, condition.is_)
    if test == "is_not":
        return not _same(value, condition.is_not)
    if test == "in":
        return any(_same(value, v) for v in condition.in_ or [])
    if test == "matches":
        return value is not None and re.search(condition.matches or "", str(value)) is not None
    number = _number(value)
    if number is None:
        return False
    return number > (condition.above or 0.0) if test == "above" else number < (condition.below or 0.0)


def _filled(value: Any) -> bool:
    return value not in (None, "", [], {})


def _same(value: Any, expected: Any) -> bool:
    """Equal, comparing text case-insensitively so content people need not match the action's casing."""
    if isinstance(value, str) and isinstance(expected, str):
        return value.casefold() == expected.casefold()
    if {type(value), type(expected)} & {str} and not {type(value), type(expected)} & {bool, type(None)}:
        number, wanted = _number(value), _number(expected)  # "104512" is 104512: YAML and actions differ
        return number is not None and number == wanted
    return bool(value == expected)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).replace(",", ".").split()[0])
    except (ValueError, IndexError):
        return None


def in_business_hours(hours: BusinessHours, now: datetime) -> bool:
    """Whether `now` falls in the opening hours (in the hours' timezone)."""
    local = now.astimezone(ZoneInfo(hours.timezone))
    if WEEKDAYS[local.weekday()] not in hours.days:
        return False
    clock = local.strftime("%H:%M")
    if hours.open <= hours.close:
        return hours.open <= clock < hours.close
    return clock >= hours.open or clock < hours.close  # open past midnight
