"""Publishing events: to the durable events stream (CRM webhooks, reports) and live to open views."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.bus.base import EVENTS
from models.events import Event

if TYPE_CHECKING:
    from hub.runtime import Hub


def conversation_topic(conversation_id: str) -> str:
    """The broadcast topic of one conversation's live view."""
    return f"conversation:{conversation_id}"


async def publish(hub: Hub, event: Event) -> None:
    """Record the event durably, then tell whoever is watching its conversation.

    Event ids are derived from what happened (e.g. 'message.received:<id>'), so a redelivered
    message republishes the same id and subscribers can drop the repeat.
    """
    data = event.model_dump_json()
    await hub.bus.publish(EVENTS, data)
    if event.conversation_id is not None:
        await hub.bus.broadcast(conversation_topic(event.conversation_id), data)
