"""Resolving a conversation with an outcome, told to the shopper as an operator would from the inbox.

The outcome goes through the conversation's channel of origin (a phone call cannot be answered once it
is over: then through the channel the customer is best reached on). The message is queued before the
state changes, and both steps are idempotent under the caller's key, so a retried request finishes
whatever a failed one left undone and never sends twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub import events
from hub.customers import profiles
from hub.customers.addresses import Route, proactive_route, route_on
from hub.inbox.notes import update
from hub.outbound import outbox
from models.channels import Channel
from models.conversations import TRANSITIONS, Conversation, ConversationState
from models.errors import Conflict, InvalidTransition
from models.ids import ConversationId
from models.messages import AuthorKind, DeliveryStatus, Direction, Message, OutboundMessage

if TYPE_CHECKING:
    from hub.core import Hub

S = ConversationState


async def resolve(
    hub: Hub, conversation_id: ConversationId, outcome: str, *, key: str, actor: str, notify: bool = True
) -> tuple[Conversation, Message | None]:
    """Send the outcome (unless `notify` is false) and move the conversation to resolved."""
    known = await hub.stores.messages.find_by_key(key)
    if known is not None and (known.conversation_id != conversation_id or known.direction is not Direction.OUTBOUND):
        raise Conflict(f"idempotency key {key!r} was used for another request")
    conversation = await hub.stores.conversations.get(conversation_id)
    if not notify and conversation.state is S.RESOLVED and conversation.outcome == outcome:
        return conversation, None  # a repeat: without a message, nothing is stored under the key
    if known is None and S.RESOLVED not in TRANSITIONS[conversation.state]:
        raise InvalidTransition(f"conversation {conversation_id} is {conversation.state}: it cannot be resolved")
    sent = known
    if notify and (known is None or known.status is DeliveryStatus.PENDING):  # a retry re-queues: deliver dedupes
        route = await outcome_route(hub, conversation)
        sent = await outbox.enqueue(_outcome(conversation, route, outcome, key), hub)
    return await _mark_resolved(hub, conversation_id, outcome, actor=actor), sent


async def outcome_route(hub: Hub, conversation: Conversation) -> Route:
    """Where the outcome goes: the channel of origin; after a phone call, the customer's best channel."""
    customer = await profiles.current(hub, conversation.customer_id)
    route = route_on(hub, customer, conversation.channel, conversation.account_id)
    if route is None and conversation.channel is Channel.VOICE:
        return await proactive_route(hub, customer, None)
    if route is None:
        raise Conflict(f"customer {customer.id} cannot be reached on {conversation.channel} account "
                       f"{conversation.account_id!r} (unsubscribed, or the account is gone); resolve with "
                       "notify=false")
    return route


def _outcome(conversation: Conversation, route: Route, text: str, key: str) -> OutboundMessage:
    return OutboundMessage(
        conversation_id=conversation.id, customer_id=conversation.customer_id, channel=route.channel,
        account_id=route.account_id, recipient=route.recipient, text=text, author=AuthorKind.OPERATOR,
        idempotency_key=key,
    )


async def _mark_resolved(hub: Hub, conversation_id: ConversationId, outcome: str, *, actor: str) -> Conversation:
    """Resolved (and announced) unless it already is, or has moved on to closed."""

    def apply(conversation: Conversation) -> list[str]:
        if conversation.state in (S.RESOLVED, S.CLOSED):
            return []
        conversation.transition(S.RESOLVED, actor=actor, note=outcome)
        return ["state"]

    conversation, changed = await update(hub, conversation_id, apply)
    if changed:
        await events.emit(hub, "conversation.resolved", f"{conversation.id}:{conversation.version}",
                          customer_id=conversation.customer_id, conversation_id=conversation.id,
                          actor=actor, outcome=outcome)
    return conversation
