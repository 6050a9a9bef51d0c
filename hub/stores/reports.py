"""The report store port: facts and rollups, written by the projection and read by the reports."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol

from models.report_cube import Cube, Grain
from models.report_facts import COMPLAINT_TOPICS, CaseFact, ConversationFact

# Drill-down conditions: the facts behind one number of a report. Each adapter translates these names.
CONDITIONS = frozenset({
    "handed_over", "contained", "resolved", "repeat", "fallbacks", "unsure", "fr_missed", "res_missed",
    "csat", "csat_low", "complaint", "solved", "breached",
})


@dataclass(frozen=True)
class Filters:
    """What a report looks at: a period of local days (inclusive) and optional dimension values."""

    start: str
    end: str
    topic: str | None = None
    channel: str | None = None
    group: str | None = None
    store: str | None = None
    region: str | None = None
    operator: str | None = None
    reason: str | None = None
    request_type: str | None = None

    def dims(self, cube: Cube) -> dict[str, str]:
        """The dimension filters that apply to `cube`, set ones only."""
        return {d: v for d in cube.dims if (v := getattr(self, d)) is not None}

    def but(self, **changes: Any) -> Filters:
        """A copy with some fields changed."""
        return replace(self, **changes)


Row = tuple[tuple[str, ...], dict[str, float]]  # (values of the grouping columns, summed counters)


def complaint_topics() -> list[str]:
    """The complaint topics, sorted (adapters put them in queries)."""
    return sorted(COMPLAINT_TOPICS)


class ReportStore(Protocol):
    """Facts and rollups of conversations and cases."""

    async def open(self) -> None:
        """Connect and create tables / collections and their indexes."""
        ...

    async def close(self) -> None:
        """Disconnect."""
        ...

    async def conversation_fact(self, conversation_id: str) -> ConversationFact | None:
        """The stored fact of a conversation, if any."""
        ...

    async def case_fact(self, case_id: str) -> CaseFact | None:
        """The stored fact of a case, if any."""
        ...

    async def put_conversation(self, fact: ConversationFact) -> None:
        """Store the fact and move the rollups by the difference to its previous version (idempotent)."""
        ...

    async def put_case(self, fact: CaseFact) -> None:
        """Store the case fact and move the rollups by the difference to its previous version (idempotent)."""
        ...

    async def contacted_between(self, customer_id: str, start: str, end: str, *, besides: str) -> bool:
        """Whether the customer opened a conversation other than `besides` with start <= opened_at < end."""
        ...

    async def load(self, conversations: list[ConversationFact], cases: list[CaseFact]) -> None:
        """Add facts that are not stored yet, and their rollups, in bulk (the backfill)."""
        ...

    async def clear(self) -> None:
        """Forget every fact and rollup (before a backfill)."""
        ...

    async def rollup(
        self, cube: Cube, grain: Grain, filters: Filters, by: tuple[str, ...], *, measures: tuple[str, ...],
        top: tuple[str, int] | None = None,
    ) -> list[Row]:
        """`measures` summed over the grain's rows in the filters' period, grouped by `by` (dims or 'period');
        with `top` (measure, n) only the n groups with the largest sum of that measure."""
        ...

    async def rising(
        self, cube: Cube, grain: Grain, filters: Filters, dim: str, measure: str, *, since: str,
        more_than: float,
    ) -> dict[str, tuple[int, int]]:
        """One pass over the grain's rows in the filters' period, split at day `since`: per non-empty value of
        `dim`, (`measure` from `since` on, `measure` before it), only for values whose later sum is above the
        earlier and whose two sums together are above `more_than` (the week-over-week rises worth testing)."""
        ...

    async def facts(
        self, cube: Cube, filters: Filters, *, condition: str | None = None, limit: int | None = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Facts in the filters (newest first), optionally only those meeting a drill-down condition."""
        ...

    async def count_facts(self, cube: Cube) -> int:
        """How many facts the cube holds (backfill progress, health)."""
        ...
