"""What the hub's core calls but does not implement, in one place.

- `Participant`: who answers a customer message while its conversation is in the bot's hands (bots/).
- `TopicReader`: what a message is about (nlu/).
- re-exported: `Sender` (a channel account's delivery, connectors/), `Stores` and `Bus`, each with adapters
  that only api/wiring.py names.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from hub.bus.base import Bus
from hub.stores.base import Stores
from models.conversations import Conversation
from models.messages import InboundMessage, Message
from models.nlu import ParseResult
from models.sending import Sender, SendReceipt

__all__ = ["Bus", "Participant", "SendReceipt", "Sender", "Stores", "TopicReader"]


class Participant(Protocol):
    """Takes the bot's turn for a stored customer message (replies through the outbox, or a handover)."""

    async def answer(self, msg: InboundMessage, stored: Message, conversation: Conversation) -> None:
        """Answer `stored` (received as `msg`) in `conversation`; a redelivery of it must not answer twice."""
        ...

    async def serving(self) -> str | None:
        """The version of what it answers with now (edited flows picked up first); None for fixed replies."""
        ...


class TopicReader(Protocol):
    """Reads a customer message's topic, entities and confidence."""

    @property
    def has_model(self) -> bool:
        """Whether a reading can say anything beyond "out of scope"."""
        ...

    @property
    def model_version(self) -> str | None:
        """The model version served, if known."""
        ...

    async def parse(self, text: str, *, today: date | None = None) -> ParseResult:
        """The reading of `text`; relative dates count from `today` (the conversation's)."""
        ...

    async def refresh(self) -> None:
        """Pick up a newly trained or activated model (cheap, rate-limited)."""
        ...

    async def reload_if_changed(self) -> bool:
        """Load a newly activated model now; True if one was loaded."""
        ...
