"""What the hub asks of a channel's sender, and the small views of the hub a sender may use.

A sender or poller gets only these protocols (broadcast to live listeners, read a thread's messages, keep
a reader's place), never the bus or the stores themselves: connectors depend on models, not on the hub.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from models.channels import Channel
from models.ids import ConversationId
from models.messages import DeliveryStatus, Direction, Message, OutboundMessage


@dataclass(frozen=True)
class SendReceipt:
    """The channel accepted the message; `external_id` is its id there, for status callbacks."""

    external_id: str | None = None
    status: DeliveryStatus = DeliveryStatus.SENT


class Sender(Protocol):
    """Delivers outbound messages of one channel account; raises SendError (retryable or not)."""

    async def send(self, msg: OutboundMessage) -> SendReceipt:
        """Deliver one message."""
        ...


class Broadcaster(Protocol):
    """Tells live listeners in any process (a web-chat page, a waiting voice webhook); the bus provides it."""

    async def broadcast(self, topic: str, data: str) -> None:
        """Tell current subscribers of `topic`; nobody listening means nobody hears it."""
        ...


class MessageHistory(Protocol):
    """Read-only access to stored messages (the e-mail sender threads its reply on the mail it answers)."""

    async def find_external(
        self, channel: Channel, account_id: str, direction: Direction, external_id: str
    ) -> Message | None:
        """The message with this external id on this account, if stored."""
        ...

    async def list_for_conversation(self, conversation_id: ConversationId, *, limit: int = 200) -> list[Message]:
        """A conversation's messages, oldest first."""
        ...


class CursorStore(Protocol):
    """Named positions of long-running readers (an IMAP mailbox's last UID), kept across restarts."""

    async def get(self, name: str) -> str | None:
        """The saved position, if any."""
        ...

    async def set(self, name: str, value: str) -> None:
        """Save the position (overwrites)."""
        ...
