"""Store port of cases: one document per case, with the columns its queues are read by.

Adapters: `sqlite_cases.py` and `mongo_cases.py`; both pass `tests/contract/test_cases_store.py`.
A queue (a group's, a store's, a person's) is read in queue order: open cases before finished ones,
then the most urgent priority, then the earliest SLA deadline (none last), then the case number.
Indexes keep that order without sorting, so a store with 100,000 cases opens its queue as fast as
one with ten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol

from models.cases import OPEN_STATES, PRIORITY_RANK, Case, CaseId, CaseState
from models.ids import ConversationId, CustomerId

CaseOrder = Literal["queue", "newest"]
NO_DEADLINE = "9999-12-31T23:59:59.999"
MAX_URGENCY = max(PRIORITY_RANK.values())


@dataclass(frozen=True)
class CaseQuery:
    """Filters of a case list; every one given must match (None / empty: any)."""

    groups: frozenset[str] | None = None        # in any of these groups (empty set: matches nothing)
    store_id: str | None = None
    customer_id: CustomerId | None = None
    conversation_id: ConversationId | None = None
    assignee: str | None = None
    request_type: str | None = None
    states: frozenset[CaseState] = field(default_factory=frozenset)
    open_only: bool = False
    breached: bool | None = None
    created_after: datetime | None = None


@dataclass(frozen=True, order=True)
class CasePosition:
    """Where a case sits in a list: done (0 open, 1 solved/closed), urgency (0 = most urgent), deadline key,
    number. Cursors name one."""

    done: int
    urgency: int
    due: str
    number: int


def due_key(at: datetime | None) -> str:
    """A deadline as sortable text (UTC, milliseconds: what MongoDB keeps, so a case read back has the same
    key and a cursor made from it lands exactly after it); no deadline sorts last."""
    return NO_DEADLINE if at is None else at.astimezone(UTC).isoformat(timespec="milliseconds")[:23]


def pinned_done(query: CaseQuery) -> int | None:
    """The `done` value every match of the query has (0 open, 1 finished), if the query fixes it."""
    if query.open_only or (query.states and query.states <= OPEN_STATES):
        return 0
    if query.states and not query.states & OPEN_STATES:
        return 1
    return None


def position(case: Case) -> CasePosition:
    """The case's place in queue order."""
    return CasePosition(int(not case.is_open), MAX_URGENCY - case.priority_rank, due_key(case.sla.due_at),
                        case.number)


class CaseStore(Protocol):
    """Cases, unique on id, number and (when given) the opener's idempotency key."""

    async def next_number(self) -> int:
        """A fresh case number (1, 2, 3...; gaps are possible, repeats never)."""
        ...

    async def create(self, case: Case) -> None:
        """Insert; Conflict if the id, number or key is taken."""
        ...

    async def create_many(self, cases: list[Case]) -> None:
        """Insert many at once (imports, benchmarks); Conflict, writing none, if any is taken."""
        ...

    async def get(self, case_id: CaseId) -> Case:
        """The case, or NotFound."""
        ...

    async def get_by_number(self, number: int) -> Case:
        """The case with this number, or NotFound."""
        ...

    async def find_by_key(self, key: str) -> Case | None:
        """The case opened under this idempotency key, if any."""
        ...

    async def save(self, case: Case, *, expected_version: int) -> None:
        """Write back and bump `version`; Conflict if someone saved since `expected_version`."""
        ...

    async def find(
        self, query: CaseQuery, *, order: CaseOrder = "queue", after: CasePosition | None = None, limit: int = 50,
    ) -> list[Case]:
        """Matching cases in queue order (or newest number first), after the position `after`."""
        ...

    async def count(self, query: CaseQuery) -> int:
        """How many cases match."""
        ...

    async def count_by_state(self, query: CaseQuery) -> dict[CaseState, int]:
        """How many matching cases are in each state (states with none left out)."""
        ...

    async def due_for_sla(self, now: datetime, *, limit: int = 100) -> list[Case]:
        """Open cases whose next SLA check (reminder or deadline) is at or before `now`, earliest first."""
        ...
