"""Messages as stored, and the two contracts at the channel edge: InboundMessage and OutboundMessage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, HttpUrl, field_validator

from models.channels import Channel
from models.clock import utcnow
from models.customers import normalize_phone
from models.ids import ConversationId, CustomerId, MessageId, new_id
from models.nlu import ParseResult

MAX_TEXT = 20_000


class Direction(StrEnum):
    """Into Otklik from a customer, or out of it to one."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"  # a note for operators and the CRM: never sent, never shown to the customer


class AuthorKind(StrEnum):
    """Who wrote a message."""

    CUSTOMER = "customer"
    BOT = "bot"
    OPERATOR = "operator"
    SYSTEM = "system"


class DeliveryStatus(StrEnum):
    """Where an outbound message is on its way; inbound messages are simply 'received'."""

    RECEIVED = "received"
    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


class Attachment(BaseModel):
    """A file kept by reference: a URL or a channel's file id, fetched lazily."""

    model_config = ConfigDict(frozen=True)

    kind: str = Field(default="file", max_length=32)  # image, audio, video, file, location, contact
    url: HttpUrl | None = None
    file_id: str | None = Field(default=None, max_length=512)
    name: str | None = Field(default=None, max_length=255)
    mime_type: str | None = Field(default=None, max_length=127)
    size: int | None = Field(default=None, ge=0)


class ContactHints(BaseModel):
    """What the channel tells us about the sender, used to link identities."""

    model_config = ConfigDict(frozen=True)

    phone: str | None = Field(default=None, max_length=32)
    email: EmailStr | None = None
    name: str | None = Field(default=None, max_length=200)
    verified: bool = False  # the platform vouches the phone is the sender's (Telegram's own-contact button)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else normalize_phone(value)


class InboundMessage(BaseModel):
    """A customer's message as a connector hands it to the hub."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["message"] = "message"
    channel: Channel
    account_id: str = Field(min_length=1, max_length=64)
    external_user_id: str = Field(min_length=1, max_length=256)
    external_id: str = Field(min_length=1, max_length=256)
    sent_at: datetime = Field(default_factory=utcnow)
    text: str = Field(default="", max_length=MAX_TEXT)
    attachments: list[Attachment] = Field(default_factory=list, max_length=20)
    contact: ContactHints = Field(default_factory=ContactHints)
    reply_to: str | None = Field(default=None, max_length=256)
    deep_link: str | None = Field(default=None, max_length=256)  # /start parameter, Viber context: a store or campaign
    # Sent by a machine (auto-reply, out-of-office, bounce, bulk): stored for operators, never answered.
    auto_submitted: bool = False
    # The text is a pressed button's payload ("human", "order"): never a sign of the shopper's language.
    button_press: bool = False
    raw: dict[str, Any] = Field(default_factory=dict)  # provider payload, kept for audit


class Button(BaseModel):
    """A quick reply or inline button."""

    model_config = ConfigDict(frozen=True)

    title: str = Field(min_length=1, max_length=64)
    payload: str = Field(min_length=1, max_length=256)


class OutboundMessage(BaseModel):
    """A message the hub wants a channel to deliver; `idempotency_key` makes retries safe."""

    model_config = ConfigDict(frozen=True)

    id: MessageId = Field(default_factory=lambda: MessageId(new_id()))
    conversation_id: ConversationId
    customer_id: CustomerId
    channel: Channel
    account_id: str
    recipient: str  # the channel's address: chat id, phone, e-mail, API user id
    text: str = Field(default="", max_length=MAX_TEXT)
    author: AuthorKind = AuthorKind.BOT
    author_id: str | None = None  # an operator's user id (hub/inbox/replies.py)
    author_name: str | None = None
    buttons: list[Button] = Field(default_factory=list)
    attachments: list[Attachment] = Field(default_factory=list)
    template: str | None = None
    template_vars: dict[str, str] = Field(default_factory=dict)
    idempotency_key: str = Field(min_length=1, max_length=256)
    reply_to: str | None = None  # the channel's id of the customer message this answers (e-mail threads on it)
    # Set by the outbox just before sending: when this customer last wrote on this channel account
    # (WhatsApp may only send free-form text within 24 hours of it).
    last_inbound_at: datetime | None = None


class Message(BaseModel):
    """A message as stored in a conversation, in either direction."""

    id: MessageId = Field(default_factory=lambda: MessageId(new_id()))
    conversation_id: ConversationId
    customer_id: CustomerId
    direction: Direction
    author: AuthorKind
    author_id: str | None = None  # who of the operators wrote it
    author_name: str | None = None
    channel: Channel
    account_id: str
    external_id: str | None = None  # the channel's id: dedupes inbound, maps status callbacks outbound
    idempotency_key: str | None = None  # outbound only
    text: str = ""
    attachments: list[Attachment] = Field(default_factory=list)
    buttons: list[Button] = Field(default_factory=list)
    status: DeliveryStatus = DeliveryStatus.RECEIVED
    status_reason: str | None = None
    sent_at: datetime = Field(default_factory=utcnow)
    created_at: datetime = Field(default_factory=utcnow)
    handled: bool = False  # inbound: every follow-up of this message has been done
    edits: list[str] = Field(default_factory=list)  # earlier texts of an edited message, oldest first
    edited_at: datetime | None = None
    raw: dict[str, Any] = Field(default_factory=dict)
    nlu: ParseResult | None = None  # inbound: what the NLU engine read in it
    corrected_topic: str | None = None  # inbound: the topic an operator corrected the reading to

    @classmethod
    def from_inbound(
        cls, msg: InboundMessage, conversation: ConversationId, customer: CustomerId
    ) -> Message:
        """The stored form of a customer's message."""
        return cls(
            conversation_id=conversation,
            customer_id=customer,
            direction=Direction.INBOUND,
            author=AuthorKind.CUSTOMER,
            channel=msg.channel,
            account_id=msg.account_id,
            external_id=msg.external_id,
            text=msg.text,
            attachments=msg.attachments,
            sent_at=msg.sent_at,
            raw=msg.raw,
        )

    @classmethod
    def from_outbound(cls, out: OutboundMessage) -> Message:
        """The stored form of a message on its way out, still pending."""
        return cls(
            id=out.id,
            conversation_id=out.conversation_id,
            customer_id=out.customer_id,
            direction=Direction.OUTBOUND,
            author=out.author,
            author_id=out.author_id,
            author_name=out.author_name,
            channel=out.channel,
            account_id=out.account_id,
            idempotency_key=out.idempotency_key,
            text=out.text,
            attachments=out.attachments,
            buttons=out.buttons,
            status=DeliveryStatus.PENDING,
        )


@dataclass(frozen=True)
class InboundTally:
    """What reports count of a conversation's inbound messages, read without loading them."""

    messages: int = 0
    fallbacks: int = 0  # read as out of scope
    unsure: int = 0  # a close call that was still answered in scope
    first_text: str = ""  # the first inbound message's text as it reads now


def apply_edit(message: Message, text: str, attachments: list[Attachment], at: datetime) -> bool:
    """Edit `message` in place, keeping its earlier text; False when nothing changed."""
    if message.text == text and message.attachments == attachments:
        return False
    message.edits.append(message.text)
    message.text, message.attachments, message.edited_at = text, attachments, at
    return True
