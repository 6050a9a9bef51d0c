"""What goes into and comes out of one engine step: Turn, DialogState, StepResult, the Actions port."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from models.clock import local_date
from models.conversations import Priority
from models.nlu import Entity, ParseResult

MAX_REMEMBERED_CHARS = 300  # per message kept in the state: the summary needs the gist, not the essay


class Said(BaseModel):
    """One remembered message: who said it and (truncated) what."""

    model_config = ConfigDict(frozen=True)

    who: Literal["shopper", "bot"]
    text: str


class DialogState(BaseModel):
    """Everything the engine remembers about a conversation: compact JSON, never the history.

    Store it per conversation (`model_dump(mode="json")`, `DialogState.model_validate(...)`).
    """

    flow: str | None = None  # the running flow, None between flows
    step: str | None = None  # the step waiting for an answer (ask, buttons)
    slots: dict[str, JsonValue] = Field(default_factory=dict)
    attempts: int = 0  # wrong answers to the waiting step
    unsure: int = 0  # NLU-unsure messages in a row
    language: str | None = None
    intent: str | None = None  # the intent that started the running flow
    recent: list[Said] = Field(default_factory=list)  # the last `rules.keep_messages` messages
    handed_over: bool = False
    turns: int = 0
    # A clarifying question waits: the candidate topics offered, and the entities of the message it asks about.
    clarifying: list[str] = Field(default_factory=list)
    clarify_entities: list[Entity] = Field(default_factory=list)
    also: list[str] = Field(default_factory=list)  # further topics the shopper raised, for the operator


class Turn(BaseModel):
    """One input to the engine: a shopper's message or an event, with what is known around it."""

    model_config = ConfigDict(frozen=True)

    text: str = ""
    language: str | None = None  # "ru"/"en" if the channel or NLU knows; else the state's is kept
    nlu: ParseResult | None = None
    event: Literal["conversation_started", "deep_link"] | None = None
    deep_link: str | None = None  # the code for event "deep_link"
    channel: str = ""
    customer: dict[str, JsonValue] = Field(default_factory=dict)
    now: datetime = Field(default_factory=lambda: datetime.now(UTC))
    timezone: str = "Europe/Moscow"  # the chain's: "сегодня" is the shopper's date there, not the server's
    business_hours: bool | None = None  # None: by rules.business_hours
    conversation_id: str = ""
    button_press: bool = False  # a pressed button's payload: no sign of the shopper's language

    @property
    def today(self) -> date:
        """The date relative answers ("вчера", "today") count from."""
        return local_date(self.now, self.timezone)


class Button(BaseModel):
    """A quick reply as sent: the title shown and the value it answers with."""

    model_config = ConfigDict(frozen=True)

    title: str
    value: str


class Reply(BaseModel):
    """One bot message."""

    model_config = ConfigDict(frozen=True)

    text: str
    buttons: list[Button] = Field(default_factory=list)


class HandoverRequest(BaseModel):
    """The engine wants a person: `bots/` passes this to `hub.inbox.handover.hand_over`."""

    model_config = ConfigDict(frozen=True)

    topic: str
    priority: Priority = Priority.NORMAL
    note: str = ""  # the flow's note, then the bot's summary, ready for the operator
    summary: dict[str, JsonValue] = Field(default_factory=dict)  # topic, flow, reason, slots, last messages
    reason: str = ""  # human_request, failed_question, unsure, always_human, flow, action_error


class Record(BaseModel):
    """Something worth a log line (action called, flow started, question failed...)."""

    model_config = ConfigDict(frozen=True)

    kind: str
    detail: dict[str, JsonValue] = Field(default_factory=dict)


class StepResult(BaseModel):
    """What one turn produced: replies, maybe a handover, the new state, records for logs."""

    replies: list[Reply] = Field(default_factory=list)
    handover: HandoverRequest | None = None
    state: DialogState
    records: list[Record] = Field(default_factory=list)

    @property
    def text(self) -> str:
        """All replies' texts, one per line (handy in tests and logs)."""
        return "\n".join(r.text for r in self.replies)


@dataclass(frozen=True)
class ActionContext:
    """What an action knows about the turn besides its arguments."""

    conversation_id: str
    channel: str
    language: str
    customer: dict[str, Any]
    slots: dict[str, Any]
    now: datetime
    flow: str
    extra: dict[str, Any] = field(default_factory=dict)


class Actions(Protocol):
    """Named actions the flows call (implemented in bots/actions)."""

    def names(self) -> set[str]:
        """The registered action names."""
        ...

    async def call(self, name: str, args: dict[str, Any], context: ActionContext) -> dict[str, Any]:
        """Run one action; raise to make the flow take its `on_error` path."""
        ...
