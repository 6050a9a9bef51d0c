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


class CallEnded(BaseModel):
    """A phone call is over (the telephony's status callback): closes the voice turn in the history."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["call_ended"] = "call_ended"
    channel: Channel = Channel.VOICE
    account_id: str
    external_user_id: str = Field(min_length=1, max_length=64)  # the caller's number
    call_id: str = Field(min_length=1, max_length=128)
    status: str = Field(max_length=32)  # completed, busy, no-answer, failed, canceled
    duration_seconds: int | None = Field(default=None, ge=0)
    at: datetime = Field(default_factory=utcnow)


class TranscriptTurn(BaseModel):
    """One speaker's turn in a call transcript."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    speaker: Literal["customer", "operator", "bot"]
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    at: datetime | None = None


class CallTranscript(BaseModel):
    """A finished call as the call centre's own telephony transcribed it; each turn becomes a message."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["transcript"] = "transcript"
    channel: Channel = Channel.VOICE
    account_id: str
    external_user_id: str = Field(min_length=1, max_length=64)  # the caller's number
    call_id: str = Field(min_length=1, max_length=128)
    started_at: datetime
    recording_url: str | None = Field(default=None, max_length=2000)
    turns: list[TranscriptTurn] = Field(min_length=1, max_length=2000)


ChannelEvent = Annotated[
    InboundMessage | DeliveryUpdate | MessageEdit | SubscriptionChange | CallEnded | CallTranscript,
    Field(discriminator="kind"),
]
