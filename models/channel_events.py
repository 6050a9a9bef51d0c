"""What a channel can tell the hub besides a new message: delivery status, an edit, a (un)subscription.

Connectors produce these; the webhook puts them on the inbound stream next to messages (`ChannelEvent`
is the union the worker reads), so they are ordered and retried the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from models.channels import Channel
from models.clock import utcnow
from models.messages import MAX_TEXT, Attachment, DeliveryStatus, InboundMessage


class DeliveryUpdate(BaseModel):
    """The platform reports what happened to a message we sent (known by its id there)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["status"] = "status"
    channel: Channel
    account_id: str
    external_id: str = Field(min_length=1, max_length=256)
    status: DeliveryStatus
    reason: str | None = Field(default=None, max_length=1000)
    at: datetime = Field(default_factory=utcnow)


class MessageEdit(BaseModel):
    """The customer edited a message they sent earlier (same external id): update it, never duplicate it."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["edit"] = "edit"
    channel: Channel
    account_id: str
    external_user_id: str = Field(min_length=1, max_length=256)
    external_id: str = Field(min_length=1, max_length=256)
    text: str = Field(default="", max_length=MAX_TEXT)
    attachments: list[Attachment] = Field(default_factory=list, max_length=20)
    at: datetime = Field(default_factory=utcnow)


class SubscriptionChange(BaseModel):
    """The customer (un)subscribed from the bot: an unsubscribed customer is not messaged there again."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["subscription"] = "subscription"
    channel: Channel
    account_id: str
    external_user_id: str = Field(min_length=1, max_length=256)
    subscribed: bool
    at: datetime = Field(default_factory=utcnow)


ChannelEvent = Annotated[
    InboundMessage | DeliveryUpdate | MessageEdit | SubscriptionChange, Field(discriminator="kind")
]
