"""What an action is: a named async function the flows call with slots, returning values for the flow.

The content team names actions in YAML; programmers write them here. An action never raises for an
ordinary "no" (unknown order, CRM down): it answers `{"ok": False, "reason": ...}` so the flow can say
so and offer a person. Every side effect is keyed on the turn (`ActionContext.key`), so a redelivered
message repeats nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from models.conversations import Conversation
from models.customers import Customer
from models.nlu import ParseResult

if TYPE_CHECKING:
    from hub.core import Hub

Result = dict[str, Any]


@dataclass(frozen=True)
class ActionContext:
    """Who is asking and where: the hub, the conversation, its customer, the turn."""

    hub: Hub
    conversation: Conversation
    customer: Customer
    turn_key: str  # the inbound message id (or event key) of this turn: side effects are keyed on it
    language: str  # "ru" or "en": texts an action returns are in this language
    now: datetime
    slots: Mapping[str, Any] = field(default_factory=dict)  # the conversation's slots (read-only), beside the args
    reading: ParseResult | None = None  # the NLU's reading of the message being answered, if any
    flow: str = ""  # the flow calling the action (where a verification comes back to)

    def entity(self, name: str) -> str | None:
        """The canonical value of entity `name` in the message being answered: fresher than any slot."""
        found = self.reading.entity(name) if self.reading is not None else None
        return None if found is None else found.canonical

    def key(self, action: str) -> str:
        """The idempotency key of `action`'s side effect in this turn."""
        return f"bot:{action}:{self.turn_key}"

    def text(self, ru: str, en: str) -> str:
        """The shopper's language's variant."""
        return ru if self.language == "ru" else en


Action = Callable[[ActionContext, Mapping[str, Any]], Awaitable[Result]]


def failed(reason: str, **values: Any) -> Result:
    """An action's "could not": the flow branches on `ok` and may show `reason`."""
    return {"ok": False, "reason": reason, **values}


def slot_text(slots: Mapping[str, Any], name: str) -> str | None:
    """A slot's value as stripped text, or None when absent or empty."""
    value = slots.get(name)
    if value is None:
        return None
    text = str(value).strip()
    return text or None
