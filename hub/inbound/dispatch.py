"""What the worker does with channel events that are not new messages: status, edits, subscriptions."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from pydantic import TypeAdapter

from hub import events
from hub.customers.identity import identity_on
from hub.inbound import calls, ingest
from models.channel_events import (
    CallEnded,
    ChannelEvent,
    DeliveryUpdate,
    MessageEdit,
    SubscriptionChange,
)
from models.customers import UNSUBSCRIBED
from models.messages import DeliveryStatus, Direction, InboundMessage

if TYPE_CHECKING:
    from hub.core import Hub

STATUS_RACE_PAUSES = (0.2, 0.5, 1.0, 0.0)  # seconds: wait for our own send to be recorded, then give up
CHANNEL_EVENT: TypeAdapter[ChannelEvent] = TypeAdapter(ChannelEvent)

_PROGRESS = [DeliveryStatus.PENDING, DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ]


def advances(current: DeliveryStatus, new: DeliveryStatus) -> bool:
    """Whether `new` moves a message forward: callbacks arrive out of order, 'read' must not become 'sent'."""
    if new is DeliveryStatus.FAILED:
        return current in (DeliveryStatus.PENDING, DeliveryStatus.SENT)
    if current not in _PROGRESS or new not in _PROGRESS:
        return False
    return _PROGRESS.index(new) > _PROGRESS.index(current)


async def handle(payload: str, hub: Hub) -> None:
    """Dispatch one entry of the inbound stream."""
    event = CHANNEL_EVENT.validate_json(payload)
    if isinstance(event, InboundMessage):
        await ingest.handle_inbound(event, hub)
    elif isinstance(event, DeliveryUpdate):
        await apply_status(event, hub)
    elif isinstance(event, MessageEdit):
        await apply_edit(event, hub)
    elif isinstance(event, SubscriptionChange):
        await apply_subscription(event, hub)
    elif isinstance(event, CallEnded):
        await calls.end_call(event, hub)
    else:
        await calls.store_transcript(event, hub)


async def apply_status(update: DeliveryUpdate, hub: Hub) -> None:
    """Move our sent message to the reported status, if that is progress."""
    found = None
    for pause in STATUS_RACE_PAUSES:
        found = await hub.stores.messages.find_external(update.channel, update.account_id, Direction.OUTBOUND,
                                                        update.external_id)
        if found is not None:
            break
        # A fast platform can report 'delivered' before the outbox has stored the id the send returned.
        await asyncio.sleep(pause)
    if found is None or not advances(found.status, update.status):
        return  # not ours (sent by someone else on this number) or stale
    await hub.stores.messages.set_status(found.id, update.status, reason=update.reason)
    kind = {DeliveryStatus.FAILED: "message.failed", DeliveryStatus.DELIVERED: "message.delivered",
            DeliveryStatus.READ: "message.read"}.get(update.status, "message.sent")
    await events.emit(hub, kind, found.id, customer_id=found.customer_id, conversation_id=found.conversation_id,
                      message_id=found.id, reason=update.reason)


async def apply_edit(edit: MessageEdit, hub: Hub) -> None:
    """Update the stored message in place; an edit of a message we never got is dropped."""
    edited = await hub.stores.messages.edit(edit.channel, edit.account_id, edit.external_id, edit.text,
                                            edit.attachments, at=edit.at)
    if edited is None:
        return
    await events.emit(hub, "message.edited", f"{edited.id}:{len(edited.edits)}", customer_id=edited.customer_id,
                      conversation_id=edited.conversation_id, message_id=edited.id)


async def apply_subscription(change: SubscriptionChange, hub: Hub) -> None:
    """Remember who unsubscribed (the outbox will not message them there) and who came back."""
    identity = identity_on(change.channel, change.account_id, change.external_user_id)
    customer = await hub.stores.customers.find_by_identity(identity)
    if customer is None:
        return  # never wrote to us: nothing to remember yet
    marked = set(customer.attributes.get(UNSUBSCRIBED, []))
    updated = marked - {identity.key} if change.subscribed else marked | {identity.key}
    if updated == marked:
        return
    await hub.stores.customers.set_attributes(customer.id, {UNSUBSCRIBED: sorted(updated) or None})
    kind = "customer.subscribed" if change.subscribed else "customer.unsubscribed"
    await events.emit(hub, kind, f"{customer.id}:{change.at.isoformat()}", customer_id=customer.id,
                      identity=identity.key)
