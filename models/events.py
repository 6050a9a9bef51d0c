"""Events the hub publishes: what happened, for the CRM webhooks, metrics and live inbox updates."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from models.clock import utcnow
from models.ids import ConversationId, CustomerId, EventId, MessageId, new_id

EventType = Literal[
    "conversation.opened",
    "conversation.reopened",
    "conversation.closed",
    "customer.created",
    "customer.updated",
    "customer.merged",
    "customer.identity_verified",  # a claimed phone or e-mail proven with a one-time code (hub/customers/claims.py)
    "customer.identity_linked",  # an operator linked a claimed phone or e-mail by hand
    "customer.erased",  # personal data anonymised on request (hub/privacy/erase.py): drop your copy too
    "conversation.resolved",
    "conversation.updated",
    "conversation.note_added",
    "customer.subscribed",
    "customer.unsubscribed",
    "message.received",
    "message.edited",
    "message.sent",
    "message.delivered",
    "message.read",
    "message.failed",
    "praise.recorded",
    "conversation.handed_over",
    "conversation.assigned",
    "conversation.transferred",
    "conversation.sla_breached",
    "conversation.follow_up_due",
    "case.opened",
    "case.updated",
    "case.assigned",
    "case.state_changed",
    "case.commented",
    "case.solved",
    "case.closed",
    "case.reopened",
    "case.merged",
    "case.sla_warning",
    "case.sla_breached",
    "case.escalated",
    "csat.requested",  # the shopper was asked to rate a resolve (hub/csat/)
    "csat.answered",  # their score (revision 1), then their comment (revision 2)
    "review.burst",  # hub/reviews/alerts.py: a store's negative reviews piled up within a day
    "offer.made",  # a campaign's offer with its code, made to a customer (hub/campaigns/)
    "offer.held_back",  # the customer is in the campaign's control group: no offer; report their purchases
    "offer.delivered",  # the message carrying the offer was sent
    "offer.redeemed",  # the CRM reported the code used (or a held-back customer's purchase)
]


class Event(BaseModel):
    """Something that happened, with the ids a subscriber needs to fetch the rest."""

    model_config = ConfigDict(frozen=True)

    id: EventId = Field(default_factory=lambda: EventId(new_id()))
    type: EventType
    at: datetime = Field(default_factory=utcnow)
    customer_id: CustomerId | None = None
    conversation_id: ConversationId | None = None
    message_id: MessageId | None = None
    data: dict[str, Any] = Field(default_factory=dict)
