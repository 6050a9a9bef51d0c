"""The worker's CSAT loop: reads the events stream and asks for a rating after each resolve.

`conversation.resolved` asks about the conversation, `case.solved` about the case (through the conversation
it came from). Events older than a request would live (`answer_hours`) are skipped: a new consumer group
on Redis starts at the beginning of the stream, and nobody should be asked about last year's resolve.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from hub.bus.base import EVENTS, Handler
from hub.csat.answers import case_facts
from hub.csat.asking import ask
from hub.events import of_kinds
from hub.inbox.routing import inbox_config
from models.clock import utcnow
from models.events import Event
from models.ids import ConversationId

if TYPE_CHECKING:
    from hub.core import Hub

GROUP = "csat"  # the consumer group on the events stream
TRIGGERS = frozenset({"conversation.resolved", "case.solved"})


async def on_event(hub: Hub, event: Event, *, now: datetime) -> None:
    """Ask about the resolve or solve this event announces (idempotent: keyed by the event id)."""
    config = inbox_config(hub).csat
    if event.type not in TRIGGERS or not config.enabled or event.conversation_id is None:
        return
    if now - event.at > timedelta(hours=config.answer_hours):
        return
    case = await case_facts(hub, str(event.data["case_id"])) if event.type == "case.solved" else None
    conversation = await hub.stores.conversations.get(ConversationId(event.conversation_id))
    await ask(hub, conversation, trigger=event.id, now=now, case=case)


def consumers(
    hub: Hub, stop: asyncio.Event, name: str, wrap: Callable[[Handler], Handler],
    clock: Callable[[], datetime] = utcnow,
) -> list[Coroutine[Any, Any, None]]:
    """The loop to run beside the worker's; `wrap` is the worker's outage guard."""

    async def handle(entry: str) -> None:
        await on_event(hub, Event.model_validate_json(entry), now=clock())

    return [hub.bus.consume(EVENTS, GROUP, name, wrap(handle), stop=stop, wants=of_kinds(TRIGGERS))]
