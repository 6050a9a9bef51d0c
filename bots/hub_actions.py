"""The engine's Actions port over bots/actions: one object per turn, carrying the hub and who is asking."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bots.actions import REGISTRY, Action
from bots.actions import ActionContext as BotContext
from dialogs.turns import ActionContext
from models.conversations import Conversation
from models.customers import Customer
from models.nlu import ParseResult

if TYPE_CHECKING:
    from hub.core import Hub


class HubActions:
    """Satisfies dialogs.turns.Actions: calls the registered action with the hub's view of the turn."""

    def __init__(self, hub: Hub, conversation: Conversation, customer: Customer, turn_key: str,
                 reading: ParseResult | None = None, registry: Mapping[str, Action] = REGISTRY) -> None:
        self.hub, self.conversation, self.customer, self.turn_key = hub, conversation, customer, turn_key
        self.reading = reading
        self.registry = registry
        self.called = False  # an action ran this turn: it may have changed whose conversation this is

    def names(self) -> set[str]:
        """The registered action names."""
        return set(self.registry)

    async def call(self, name: str, args: dict[str, Any], context: ActionContext) -> dict[str, Any]:
        """Run action `name` with the flow's arguments; KeyError for an unknown one (the flow's on_error)."""
        action = self.registry[name]
        self.called = True
        ctx = BotContext(hub=self.hub, conversation=self.conversation, customer=self.customer,
                         turn_key=self.turn_key, language=context.language, now=context.now,
                         slots=dict(context.slots), reading=self.reading, flow=context.flow)
        return await action(ctx, args)
