"""Why a history entry or a route-map hop happened, as people read it in their language.

The system writes a reason code with its facts (hub/cases: `Reason`, the entry's `data`); a person's own
words are kept as typed. Request types read by their catalogue titles, groups by their names, moments in
the configured zone (api/local_time.py) — never raw ids. Older entries kept the system's English text and
no code: that text is shown as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from api.cases.formatting import Translate
from api.local_time import when
from models.cases import Reason

GROUP_FACTS: dict[Reason, str] = {
    Reason.OVERFLOW: "overflow_from", Reason.REQUEUED: "group", Reason.SLA_BREACHED: "to_group"}


@dataclass(frozen=True)
class Wording:
    """What a reason needs to read well: the language, type titles, group names and the time zone."""

    t: Translate
    type_title: Callable[[str], str]
    groups: Mapping[str, str]   # group id -> its name (an id missing here shows as itself)
    zone: tzinfo


def groups_named(items: Iterable[tuple[Reason | None, Mapping[str, Any]]]) -> set[str]:
    """The group ids the given reasons (code, facts) name, to look their names up once."""
    found = set()
    for code, data in items:
        fact = GROUP_FACTS.get(code) if code else None
        if fact and isinstance(data.get(fact), str):
            found.add(data[fact])
    return found


def _moment(value: object, zone: tzinfo) -> str:
    """A stored moment (a datetime or its ISO text) in the page's zone; other text as it is."""
    if isinstance(value, str):
        try:
            return when(datetime.fromisoformat(value), zone)
        except ValueError:
            return value
    return when(value, zone) if isinstance(value, datetime) else ""


def reason_text(code: Reason | None, reason: str | None, data: Mapping[str, Any], words: Wording) -> str:
    """The entry's reason: a person's words as typed, else the code's sentence with its facts."""
    if code is None:
        return reason or ""
    facts: dict[str, str] = {"case": str(data.get("case_label") or "")}
    if code is Reason.ROUTED:
        facts["request_type"] = words.type_title(str(data.get("request_type") or ""))
    if (fact := GROUP_FACTS.get(code)) is not None:
        group = str(data.get(fact) or "")
        facts["group"] = words.groups.get(group, group)
    if code is Reason.DEADLINE_PASSED:
        facts["due"] = _moment(data.get("due_at"), words.zone)
    text = words.t(f"cases.reason.{code.value}", **facts)
    return reason or "" if text == f"cases.reason.{code.value}" else text
