"""Threading: a message joins its customer's current conversation, whatever the channel, or opens one."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from hub.stores.base import ConversationStore
from models.conversations import Conversation, ConversationState
from models.customers import Customer
from models.errors import Conflict
from models.messages import InboundMessage


class Attached(StrEnum):
    """How the message found its conversation."""

    JOINED = "joined"
    OPENED = "opened"
    REOPENED = "reopened"


async def attach(
    msg: InboundMessage, customer: Customer, store: ConversationStore, *, window: timedelta, at: datetime
) -> tuple[Conversation, Attached]:
    """The conversation this message belongs to, after any reopen or close the message causes."""
    for _ in range(5):  # optimistic concurrency: another worker may touch the same conversation
        try:
            return await _attach_once(msg, customer, store, window=window, at=at)
        except Conflict:
            continue
    raise Conflict(f"conversation of customer {customer.id} kept changing; giving up for now")


async def _attach_once(
    msg: InboundMessage, customer: Customer, store: ConversationStore, *, window: timedelta, at: datetime
) -> tuple[Conversation, Attached]:
    current = await store.current_for(customer.id)
    if current is not None:
        version = current.version
        current.deep_link = msg.deep_link or current.deep_link
        if current.is_open:
            current.last_message_at = max(current.last_message_at, msg.sent_at)
            await store.save(current, expected_version=version)
            return current, Attached.JOINED
        if current.can_reopen(at, window):
            current.reopen(at=at, window=window)
            current.last_message_at = msg.sent_at
            await store.save(current, expected_version=version)
            return current, Attached.REOPENED
        current.transition(ConversationState.CLOSED, note="reopen window passed", at=at)
        await store.save(current, expected_version=version)
    conversation = Conversation.open(customer.id, msg.channel, msg.account_id, at=at)
    conversation.last_message_at = msg.sent_at
    conversation.deep_link = msg.deep_link
    await store.create(conversation)
    return conversation, Attached.OPENED
