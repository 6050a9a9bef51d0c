"""Conversations and their state machine: bot → queued → assigned → resolved → closed, with reopen.

Every transition appends a `ConversationEvent` to the conversation's history, so the history is the
audit trail an operator and the CRM read.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.channels import Channel
from models.clock import utcnow
from models.errors import InvalidTransition
from models.ids import ConversationId, CustomerId, new_id


class ConversationState(StrEnum):
    """Who holds the conversation now."""

    BOT = "bot"
    QUEUED = "queued"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"
    CLOSED = "closed"


S = ConversationState

# Which states each state may move to. `reopen` is separate: it is only legal inside the window.
TRANSITIONS: dict[ConversationState, frozenset[ConversationState]] = {
    S.BOT: frozenset({S.QUEUED, S.RESOLVED, S.CLOSED}),
    S.QUEUED: frozenset({S.ASSIGNED, S.RESOLVED, S.CLOSED}),
    S.ASSIGNED: frozenset({S.QUEUED, S.ASSIGNED, S.RESOLVED}),
    S.RESOLVED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}

OPEN_STATES = frozenset({S.BOT, S.QUEUED, S.ASSIGNED})


class Priority(StrEnum):
    """How urgent a conversation is in its queue."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class ConversationEvent(BaseModel):
    """One entry of a conversation's history."""

    model_config = ConfigDict(frozen=True)

    at: datetime = Field(default_factory=utcnow)
    kind: str  # opened, state_changed, reopened, topic_changed...
    from_state: ConversationState | None = None
    to_state: ConversationState | None = None
    actor: str = "system"
    note: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class Conversation(BaseModel):
    """One customer's issue, across every channel they use for it."""

    id: ConversationId = Field(default_factory=lambda: ConversationId(new_id()))
    customer_id: CustomerId
    state: ConversationState = S.BOT
    channel: Channel  # the channel of origin: outcomes go back through it
    account_id: str
    topic: str | None = None
    priority: Priority = Priority.NORMAL
    group: str | None = None
    assignee: str | None = None
    deep_link: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    last_message_at: datetime = Field(default_factory=utcnow)
    resolved_at: datetime | None = None
    outcome: str | None = None
    # The inbox (hub/inbox/handover.py, assignment.py, conversation_sla.py, follow_ups.py): when it entered its
    # current queue, the bot's handover note, SLA deadlines and the follow-up reminder after resolving.
    queued_at: datetime | None = None
    handover_note: str | None = None
    handover_summary: dict[str, Any] = Field(default_factory=dict)
    sla_first_response_due: datetime | None = None
    sla_resolution_due: datetime | None = None
    sla_next_due: datetime | None = None  # the earliest deadline neither met nor breached yet (scanned)
    first_response_at: datetime | None = None
    sla_breached: list[str] = Field(default_factory=list)  # "first_response", "resolution"
    follow_up_at: datetime | None = None
    follow_up_note: str | None = None
    follow_up_state: str | None = None  # "scheduled", then "due" when it is back in the operator's list
    history: list[ConversationEvent] = Field(default_factory=list)
    version: int = 0

    @classmethod
    def open(cls, customer: CustomerId, channel: Channel, account_id: str, *, at: datetime) -> Conversation:
        """A new conversation in the bot's hands, its history starting with 'opened'."""
        conversation = cls(
            customer_id=customer, channel=channel, account_id=account_id,
            created_at=at, updated_at=at, last_message_at=at,
        )
        conversation.history.append(ConversationEvent(at=at, kind="opened", to_state=S.BOT))
        return conversation

    @property
    def is_open(self) -> bool:
        """Bot, queue or operator still owes the customer an answer."""
        return self.state in OPEN_STATES

    def can_reopen(self, at: datetime, window: timedelta) -> bool:
        """A resolved conversation takes new messages until the reopen window has passed."""
        return (
            self.state is S.RESOLVED and self.resolved_at is not None and at - self.resolved_at <= window
        )

    def transition(
        self, to: ConversationState, *, actor: str = "system", note: str | None = None,
        at: datetime | None = None, group: str | None = None, assignee: str | None = None,
    ) -> None:
        """Move to `to`, recording who and why; raise InvalidTransition if the states do not connect."""
        if to not in TRANSITIONS[self.state]:
            raise InvalidTransition(f"conversation {self.id}: cannot go from {self.state} to {to}")
        if to is S.ASSIGNED and not assignee:
            raise InvalidTransition(f"conversation {self.id}: assigning needs an assignee")
        at = at or utcnow()
        data = {k: v for k, v in (("group", group), ("assignee", assignee)) if v is not None}
        self._record("state_changed", to, actor=actor, note=note, at=at, data=data)
        if group is not None:
            self.group = group
        if to is not S.RESOLVED:  # a resolved conversation keeps who resolved it
            self.assignee = assignee
        if to is S.RESOLVED:
            self.resolved_at = at
            self.outcome = note

    def reopen(self, *, at: datetime, window: timedelta, actor: str = "customer") -> None:
        """Back to work after a new message inside the window: to the queue if people had it, else the bot."""
        if not self.can_reopen(at, window):
            raise InvalidTransition(f"conversation {self.id}: cannot reopen from {self.state}")
        self._record("reopened", S.QUEUED if self.group else S.BOT, actor=actor, note=None, at=at, data={})
        self.resolved_at = None
        self.assignee = None

    def _record(
        self, kind: str, to: ConversationState, *, actor: str, note: str | None, at: datetime,
        data: dict[str, Any],
    ) -> None:
        self.history.append(
            ConversationEvent(at=at, kind=kind, from_state=self.state, to_state=to, actor=actor,
                              note=note, data=data)
        )
        self.state = to
        self.updated_at = at
