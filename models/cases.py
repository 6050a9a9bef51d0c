"""Cases ("trouble tickets"): work the contact centre hands to a specialist group or a store.

    new ──► in_progress ──► waiting (customer | another group; SLA clock paused if the type says so)
     │           ▲  │            │
     │           └──┼────────────┘
     └──────────────┴──► solved ──► closed
                          └──────────┴──► reopen ──► in_progress (assignee) | new

Every change of state, group or assignee appends a `CaseEvent` (who, when, why), so the history is the
audit trail and the source of the route map (`RouteHop`: each stay in a group / with a person).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, NewType

from pydantic import BaseModel, ConfigDict, Field

from models.channels import Channel
from models.clock import utcnow
from models.conversations import Priority
from models.errors import InvalidTransition
from models.ids import ConversationId, CustomerId, new_id

CaseId = NewType("CaseId", str)
MAX_TEXT = 20_000


class CaseState(StrEnum):
    """Where a case is in its life."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"
    SOLVED = "solved"
    CLOSED = "closed"


class WaitingFor(StrEnum):
    """Whom a waiting case waits for."""

    CUSTOMER = "customer"
    GROUP = "group"


C = CaseState

TRANSITIONS: dict[CaseState, frozenset[CaseState]] = {
    C.NEW: frozenset({C.IN_PROGRESS, C.WAITING, C.SOLVED, C.CLOSED}),
    C.IN_PROGRESS: frozenset({C.WAITING, C.SOLVED, C.CLOSED}),
    C.WAITING: frozenset({C.IN_PROGRESS, C.SOLVED, C.CLOSED}),
    C.SOLVED: frozenset({C.CLOSED}),
    C.CLOSED: frozenset(),
}
OPEN_STATES = frozenset({C.NEW, C.IN_PROGRESS, C.WAITING})
PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


class Reason(StrEnum):
    """Why the system (not a person) made a history entry; its facts are in the entry's `data`."""

    ROUTED = "routed"                    # request_type: the catalogue routed the new case
    OVERFLOW = "overflow"                # overflow_from: nobody works the routed group
    DUPLICATE_OF = "duplicate_of"        # case_label: the open case that does the work
    DUPLICATE_LINKED = "duplicate_linked"  # case_label: the duplicate
    MERGED_INTO = "merged_into"          # case_label: the target
    MERGED_FROM = "merged_from"          # case_label: the merged source
    SOLVED = "solved"
    ASSIGNED = "assigned"                # taken by someone: new -> in progress
    TAKEN = "taken"                      # the assignee took it from the queue
    RELEASED = "released"                # the assignee put it back in the queue
    REQUEUED = "requeued"                # group: moved to this group's queue
    DEADLINE_PASSED = "deadline_passed"  # due_at: the SLA deadline
    SLA_BREACHED = "sla_breached"        # to_group: escalated after the breach


class CaseSource(StrEnum):
    """Who opened the case."""

    OPERATOR = "operator"
    BOT = "bot"
    API = "api"


class CaseAttachment(BaseModel):
    """A file kept by reference (a URL or a channel's file id), never the bytes."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=lambda: new_id()[:12])
    name: str = Field(min_length=1, max_length=255)
    url: str | None = Field(default=None, max_length=2000)
    file_id: str | None = Field(default=None, max_length=512)
    mime_type: str | None = Field(default=None, max_length=127)
    size: int | None = Field(default=None, ge=0)
    added_by: str = "system"
    added_at: datetime = Field(default_factory=utcnow)


class CaseComment(BaseModel):
    """A note on the case by staff (never shown to the shopper)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=lambda: new_id()[:12])
    author: str
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    at: datetime = Field(default_factory=utcnow)


class CaseEvent(BaseModel):
    """One entry of a case's history: opened, state_changed, assigned, group_changed, reopened, merged..."""

    model_config = ConfigDict(frozen=True)

    at: datetime = Field(default_factory=utcnow)
    kind: str
    actor: str = "system"
    reason: str | None = None     # what a person typed (older entries: the system's English text)
    code: Reason | None = None    # why the system made the entry, with its facts in `data`
    from_state: CaseState | None = None
    to_state: CaseState | None = None
    group: str | None = None      # the group after the event
    assignee: str | None = None   # the assignee after the event
    data: dict[str, Any] = Field(default_factory=dict)


class CaseSla(BaseModel):
    """The deadline in working hours and what the clock has done so far."""

    hours: float = Field(default=0.0, ge=0)   # the type's budget in working hours (0: no SLA)
    calendar: str | None = None               # the calendar the deadline is counted in
    started_at: datetime | None = None        # when this clock started (opening, or the last reopen)
    due_at: datetime | None = None
    paused_at: datetime | None = None         # set while waiting pauses the clock
    paused_seconds: float = 0.0               # working seconds spent paused so far
    reminders_sent: int = 0                   # how many of the type's reminder fractions were raised
    breached: bool = False
    breached_at: datetime | None = None
    escalated_to: str | None = None
    check_at: datetime | None = None          # next reminder or breach instant: the SLA scan's index


class CaseLinks(BaseModel):
    """How this case relates to others."""

    duplicate_of: CaseId | None = None       # opened again by the same shopper: the case that does the work
    merged_into: CaseId | None = None
    duplicates: list[CaseId] = Field(default_factory=list)
    merged: list[CaseId] = Field(default_factory=list)
    related: list[CaseId] = Field(default_factory=list)


class Case(BaseModel):
    """A piece of work for a group or store, opened from a conversation."""

    id: CaseId = Field(default_factory=lambda: CaseId(new_id()))
    number: int = Field(default=0, ge=0)      # human-readable, from a counter: "#1042"
    key: str | None = Field(default=None, max_length=200)  # the opener's idempotency key
    conversation_id: ConversationId
    customer_id: CustomerId
    channel: Channel
    request_type: str
    store_id: str | None = None
    order_id: str | None = None
    region: str | None = None
    priority: Priority = Priority.NORMAL
    description: str = Field(min_length=1, max_length=MAX_TEXT)
    fields: dict[str, Any] = Field(default_factory=dict)
    attachments: list[CaseAttachment] = Field(default_factory=list)
    source: CaseSource = CaseSource.OPERATOR
    state: CaseState = C.NEW
    waiting_for: WaitingFor | None = None
    group: str
    assignee: str | None = None
    solution: str | None = Field(default=None, max_length=MAX_TEXT)
    sla: CaseSla = Field(default_factory=CaseSla)
    links: CaseLinks = Field(default_factory=CaseLinks)
    history: list[CaseEvent] = Field(default_factory=list)
    comments: list[CaseComment] = Field(default_factory=list)
    created_by: str = "system"
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    solved_at: datetime | None = None
    closed_at: datetime | None = None
    version: int = 0

    @property
    def label(self) -> str:
        """How people name the case: '#1042'."""
        return f"#{self.number}"

    @property
    def is_open(self) -> bool:
        """Someone still owes the shopper an answer."""
        return self.state in OPEN_STATES

    @property
    def priority_rank(self) -> int:
        """Higher is more urgent (queue order)."""
        return PRIORITY_RANK[self.priority]

    def record(self, kind: str, *, actor: str, at: datetime, reason: str | None = None,
               code: Reason | None = None, from_state: CaseState | None = None, **data: Any) -> None:
        """Append a history entry carrying the group and assignee as they are now."""
        self.history.append(CaseEvent(
            at=at, kind=kind, actor=actor, reason=reason, code=code, from_state=from_state,
            to_state=self.state, group=self.group, assignee=self.assignee, data=data))
        self.updated_at = at

    def move(self, to: CaseState, *, actor: str, at: datetime, reason: str | None = None,
             waiting_for: WaitingFor | None = None, code: Reason | None = None, **data: Any) -> None:
        """Change state along TRANSITIONS (InvalidTransition otherwise), recording who and why."""
        if to not in TRANSITIONS[self.state]:
            raise InvalidTransition(f"case {self.label}: cannot go from {self.state} to {to}")
        if to is C.WAITING and waiting_for is None:
            raise InvalidTransition(f"case {self.label}: waiting needs whom for (customer or group)")
        before, self.state = self.state, to
        self.waiting_for = waiting_for if to is C.WAITING else None
        if to is C.SOLVED:
            self.solved_at = at
        if to is C.CLOSED:
            self.closed_at = at
        extra = {"waiting_for": waiting_for.value} if waiting_for else {}
        self.record("state_changed", actor=actor, at=at, reason=reason, code=code, from_state=before,
                    **extra, **data)

    def reopen(self, *, actor: str, at: datetime, reason: str | None = None) -> None:
        """Back to work from solved or closed: in progress when someone holds it, else new."""
        if self.state not in (C.SOLVED, C.CLOSED):
            raise InvalidTransition(f"case {self.label}: only a solved or closed case can be reopened")
        if self.links.merged_into or self.links.duplicate_of:
            target = self.links.merged_into or self.links.duplicate_of
            raise InvalidTransition(f"case {self.label} was folded into case {target}: reopen that one")
        before = self.state
        self.state = C.IN_PROGRESS if self.assignee else C.NEW
        self.solved_at = self.closed_at = None
        self.record("reopened", actor=actor, at=at, reason=reason, from_state=before)


class RouteHop(BaseModel):
    """One stay of a case on its route: a group (and a person in it), from when to when."""

    model_config = ConfigDict(frozen=True)

    group: str
    assignee: str | None
    entered_at: datetime
    left_at: datetime | None          # None: still there
    wall_seconds: float
    working_seconds: float            # in the group's calendar
    reason: str | None = None         # why the case came here, as a person put it
    code: Reason | None = None        # or the system's reason, with its facts in `data`
    data: dict[str, Any] = Field(default_factory=dict)
    actor: str = "system"             # who sent it here
