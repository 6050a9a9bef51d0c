"""An operator's reply to a conversation: through its channel, or a chosen channel of the same customer.

The reply is stored and queued by the outbox under the caller's idempotency key (a repeated request
sends nothing twice and answers the first result), authored by the operator (kind, id and name), and
the first one counts as the conversation's first response for its SLA.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.customers import profiles
from hub.customers.addresses import Route, proactive_route, route_on
from hub.inbox import sla
from hub.inbox.assignment import may_work_on
from hub.inbox.resolution import outcome_route
from hub.outbound import outbox
from models.channels import Channel
from models.conversations import Conversation, ConversationState
from models.customers import Customer
from models.errors import Conflict, Forbidden, InvalidTransition, PayloadError
from models.ids import ConversationId
from models.messages import Attachment, AuthorKind, DeliveryStatus, Direction, Message, OutboundMessage
from models.staff import User

if TYPE_CHECKING:
    from hub.core import Hub

S = ConversationState


async def reply(
    hub: Hub, conversation_id: ConversationId, text: str, *, operator: User, key: str,
    channel: Channel | None = None, account_id: str | None = None, attachments: list[Attachment] | None = None,
) -> tuple[Message, bool]:
    """Queue the operator's message (once per `key`); the stored message and whether it is new."""
    if not text.strip() and not attachments:
        raise PayloadError("a reply needs text or an attachment")
    known = await hub.stores.messages.find_by_key(key)
    if known is not None and (known.conversation_id != conversation_id or known.direction is not Direction.OUTBOUND):
        raise Conflict(f"idempotency key {key!r} was used for another request")
    conversation = await hub.stores.conversations.get(conversation_id)
    if not may_work_on(operator, conversation):
        raise Forbidden(f"{operator.login} may not write in conversation {conversation_id}")
    if conversation.state is S.CLOSED:
        raise InvalidTransition(f"conversation {conversation_id} is closed: write through the customer instead")
    if known is not None and known.status is not DeliveryStatus.PENDING:
        return known, False
    route = await _route(hub, conversation, channel, account_id)
    out = OutboundMessage(
        conversation_id=conversation.id, customer_id=conversation.customer_id, channel=route.channel,
        account_id=route.account_id, recipient=route.recipient, text=text, attachments=attachments or [],
        author=AuthorKind.OPERATOR, author_id=operator.id, author_name=operator.name, idempotency_key=key,
    )
    stored = await outbox.enqueue(out, hub)  # a pending repeat is queued again: delivery dedupes
    if conversation.state in (S.QUEUED, S.ASSIGNED) and conversation.first_response_at is None:
        await sla.record_first_response(hub, conversation.id, stored.created_at)
    return stored, known is None and stored.id == out.id


async def _route(hub: Hub, conversation: Conversation, channel: Channel | None, account_id: str | None) -> Route:
    """The conversation's own channel, or the chosen channel (and account) of the same customer."""
    if channel is None:
        return await outcome_route(hub, conversation)
    customer: Customer = await profiles.current(hub, conversation.customer_id)
    if account_id is not None:
        route = route_on(hub, customer, channel, account_id)
        if route is None:
            raise Conflict(f"customer {customer.id} cannot be reached on {channel} account {account_id!r}")
        return route
    route = await proactive_route(hub, customer, channel)
    if route.channel is not channel:
        raise Conflict(f"customer {customer.id} cannot be reached on {channel}")
    return route
