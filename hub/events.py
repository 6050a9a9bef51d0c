"""Publishing events: to the durable events stream (CRM webhooks, reports) and live to open views."""

from __future__ import annotations

import functools
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hub.bus.base import EVENTS, Wants
from models.events import Event

if TYPE_CHECKING:
    from hub.core import Hub


def conversation_topic(conversation_id: str) -> str:
    """The broadcast topic of one conversation's live view."""
    return f"conversation:{conversation_id}"


async def emit(
    hub: Hub, kind: str, key: str, *, customer_id: str | None = None, conversation_id: str | None = None,
    message_id: str | None = None, **data: Any,
) -> None:
    """Publish a `kind` event whose id is `kind:key` (None-valued data left out).

    The key names the happening (a message id, a conversation id and version), so a redelivered step
    publishes the same id again and subscribers drop the repeat.
    """
    await publish(hub, Event.model_validate({
        "id": f"{kind}:{key}", "type": kind, "customer_id": customer_id, "conversation_id": conversation_id,
        "message_id": message_id, "data": {k: v for k, v in data.items() if v is not None}}))


async def publish(hub: Hub, event: Event) -> None:
    """Record the event durably, then tell whoever is watching its conversation.

    Event ids are derived from what happened (e.g. 'message.received:<id>'), so a redelivered
    message republishes the same id and subscribers can drop the repeat.
    """
    data = event.model_dump_json()
    hub.published.note(event.id)  # after the change it announces was stored, before any consumer sees it
    await hub.bus.publish(EVENTS, data)
    if event.conversation_id is not None:
        await hub.bus.broadcast(conversation_topic(event.conversation_id), data)


@dataclass(frozen=True)
class Head:
    """What consumer groups' filters look at in an event's JSON: its type and the conversation or case it names."""

    kind: str | None
    conversation_id: str | None
    case_id: str | None


@functools.lru_cache(maxsize=64)
def head_of(payload: str) -> Head | None:
    """The head of an event's JSON, or None when the payload is not one (the consumer then reads it itself).
    Kept for the last few payloads: each group's filter looks at the same one when it is published."""
    try:
        found = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(found, dict):
        return None
    data = found.get("data")
    data = data if isinstance(data, dict) else {}
    kind = found.get("type")
    conversation = found.get("conversation_id") or data.get("conversation_id")
    case = data.get("case_id")
    return Head(kind if isinstance(kind, str) else None, str(conversation) if conversation else None,
                str(case) if case else None)


def of_kinds(kinds: Collection[str]) -> Wants:
    """A consumer group's `wants` for events of these kinds: the bus does not hand it the others."""

    def wants(payload: str) -> bool:
        head = head_of(payload)
        return head is None or head.kind is None or head.kind in kinds

    return wants
