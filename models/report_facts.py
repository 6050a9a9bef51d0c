"""Report facts: one flat row per conversation and per case, the finest grain the rollups are summed from.

A fact is derived from the stored conversation (or case) when one of its events arrives, so a redelivered
event derives the same fact again and changes nothing: the projection is idempotent by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# Topics that are complaints: the voice of the customer counts these per topic and store.
COMPLAINT_TOPICS = frozenset({
    "delivery_problem", "product_quality", "price_mismatch", "staff_complaint", "return_refund", "app_problem",
    "delivery", "quality", "returns",
})
REPEAT_WINDOW = timedelta(days=7)
LOW_CSAT = 2  # scores at or below this are unhappy shoppers


@dataclass(frozen=True)
class Period:
    """Where a moment falls in the chain's own calendar: day, hour of day and week (its Monday)."""

    day: str
    hour: int
    week: str

    @classmethod
    def of(cls, moment: datetime, zone: str) -> Period:
        """The local day, hour and week of `moment` in `zone` (never the server's zone)."""
        local = moment.astimezone(ZoneInfo(zone))
        monday = local.date() - timedelta(days=local.weekday())
        return cls(local.date().isoformat(), local.hour, monday.isoformat())


def week_of(day: date) -> str:
    """The Monday of `day`'s week, as rollups name weeks."""
    return (day - timedelta(days=day.weekday())).isoformat()


@dataclass(frozen=True)
class ConversationFact:
    """What reports need to know about one conversation."""

    conversation_id: str
    customer_id: str
    opened_at: str  # ISO UTC
    day: str
    hour: int
    week: str
    topic: str = ""
    channel: str = ""
    group: str = ""
    store: str = ""
    region: str = ""
    operator: str = ""
    reason: str = ""  # why the bot handed over ('' when it did not)
    state: str = "bot"
    handed_over: bool = False
    resolved: bool = False
    contained: bool = False  # settled without a person
    first_response_s: float | None = None
    first_response_met: bool | None = None  # None: no first-response SLA applied
    resolution_s: float | None = None
    resolution_met: bool | None = None
    handle_s: float | None = None  # an operator's time on it: assigned until resolved
    messages: int = 0
    fallbacks: int = 0  # customer messages the NLU read as out of scope
    unsure: int = 0  # customer messages read as a close call
    repeat: bool = False  # the same customer opened another conversation in the 7 days before
    csat: int | None = None
    csat_comment: str = ""
    text: str = ""  # the customer's first words, for examples (personal: masked in exports)

    @property
    def complaint(self) -> bool:
        """The conversation is a complaint by its topic."""
        return self.topic in COMPLAINT_TOPICS

    def row(self) -> dict[str, Any]:
        """The fact as a plain mapping (storage)."""
        return {name: getattr(self, name) for name in _CONVERSATION_FIELDS}  # not asdict: it deep-copies, slowly

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ConversationFact:
        """Back from storage; unknown keys (a store's own id) ignored."""
        names = {f.name for f in fields(cls)}
        data = {k: v for k, v in row.items() if k in names}
        for flag in ("handed_over", "resolved", "contained", "repeat"):
            data[flag] = bool(data.get(flag))
        for maybe in ("first_response_met", "resolution_met"):
            data[maybe] = None if data.get(maybe) is None else bool(data[maybe])
        return cls(**data)

    def with_csat(self, score: int, comment: str, operator: str | None) -> ConversationFact:
        """The fact with the shopper's rating (and the rated operator when the event names one)."""
        return replace(self, csat=score, csat_comment=comment[:500], operator=operator or self.operator)


_CONVERSATION_FIELDS = tuple(f.name for f in fields(ConversationFact))


@dataclass(frozen=True)
class CaseFact:
    """What reports need to know about one case."""

    case_id: str
    conversation_id: str
    number: int
    opened_at: str
    day: str
    hour: int
    week: str
    request_type: str = ""
    channel: str = ""
    group: str = ""
    store: str = ""
    region: str = ""
    state: str = "new"
    solved: bool = False
    solve_s: float | None = None
    sla_breached: bool = False
    hops: int = 0  # how many times the route map passed it to another group
    text: str = ""

    def row(self) -> dict[str, Any]:
        """The fact as a plain mapping (storage)."""
        return {name: getattr(self, name) for name in _CASE_FIELDS}

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> CaseFact:
        """Back from storage."""
        names = {f.name for f in fields(cls)}
        data = {k: v for k, v in row.items() if k in names}
        data["solved"], data["sla_breached"] = bool(data.get("solved")), bool(data.get("sla_breached"))
        return cls(**data)


_CASE_FIELDS = tuple(f.name for f in fields(CaseFact))
