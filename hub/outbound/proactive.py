"""Proactive messages: a notification or a promo code the CRM sends to a customer, once per its key.

The channel: the one asked for if the customer can be reached there, else their preferred one, else the
one they last wrote through (see `hub.customers.addresses.proactive_route`). The message joins the customer's
current conversation when they have one that is not closed; otherwise it opens a new conversation that
is resolved at once, since nobody owes the customer anything yet: a reply within the reopen window
reopens it for the bot, with the notification in its history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hub import events
from hub.customers import profiles
from hub.customers.addresses import Route, proactive_route, route_on
from hub.outbound import outbox
from models.channels import Channel
from models.clock import utcnow
from models.conversations import Conversation, ConversationState
from models.customers import Customer
from models.errors import Conflict
from models.ids import ConversationId, CustomerId
from models.messages import AuthorKind, DeliveryStatus, Direction, Message, OutboundMessage

if TYPE_CHECKING:
    from hub.core import Hub

ATTEMPTS = 5


@dataclass(frozen=True)
class Notification:
    """What the CRM asks to send: text, or a template the channel account maps (WhatsApp), or both."""

    text: str = ""
    template: str | None = None
    template_vars: dict[str, str] = field(default_factory=dict)
    channel: Channel | None = None  # preferred for this message


async def send(
    hub: Hub, customer_id: CustomerId, notification: Notification, *, key: str, actor: str
) -> tuple[Message, bool]:
    """Queue the notification (once per `key`); the stored message and whether it is new."""
    customer = await profiles.current(hub, customer_id)
    known = await hub.stores.messages.find_by_key(key)
    if known is not None:
        if known.customer_id != customer.id or known.direction is not Direction.OUTBOUND:
            raise Conflict(f"idempotency key {key!r} was used for another request")
        if known.status is DeliveryStatus.PENDING:  # a failed request may have stored it without queueing it
            route = route_on(hub, customer, known.channel, known.account_id)
            if route is not None:
                await outbox.enqueue(_outbound(known.conversation_id, customer, route, notification, key), hub)
        return known, False
    route = await proactive_route(hub, customer, notification.channel)
    conversation = await _conversation_for(hub, customer, route, actor=actor)
    out = _outbound(conversation.id, customer, route, notification, key)
    stored = await outbox.enqueue(out, hub)
    return stored, stored.id == out.id  # else a concurrent request with the same key stored it first


def _outbound(
    conversation_id: ConversationId, customer: Customer, route: Route, note: Notification, key: str
) -> OutboundMessage:
    return OutboundMessage.model_validate({
        "conversation_id": conversation_id, "customer_id": customer.id, "channel": route.channel,
        "account_id": route.account_id, "recipient": route.recipient, "text": note.text,
        "template": note.template, "template_vars": note.template_vars, "author": AuthorKind.SYSTEM,
        "idempotency_key": key,
    })


async def _conversation_for(hub: Hub, customer: Customer, route: Route, *, actor: str) -> Conversation:
    """The customer's conversation that is not closed, else a new one, resolved at once."""
    store = hub.stores.conversations
    for _ in range(ATTEMPTS):
        current = await store.current_for(customer.id)
        if current is not None:
            return current
        at = utcnow()
        conversation = Conversation.open(customer.id, route.channel, route.account_id, at=at)
        conversation.transition(ConversationState.RESOLVED, actor=actor, note="proactive message", at=at)
        try:
            await store.create(conversation)
        except Conflict:
            continue  # one appeared meanwhile: join it
        await events.emit(hub, "conversation.opened", f"{conversation.id}:{conversation.version}",
                          customer_id=customer.id, conversation_id=conversation.id, proactive=True)
        return conversation
    raise Conflict(f"customer {customer.id}: conversations kept changing; try again")
