"""The CRM API's HTTP shapes: `…Public` is what we answer, `…Create` / `…Update` what clients send."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.crm.attributes import SCHEMA as ATTRIBUTES_SCHEMA
from api.crm.attributes import checked as checked_attributes
from models.channels import Channel
from models.conversations import ConversationEvent, ConversationState, Priority
from models.customers import Identity
from models.messages import MAX_TEXT, Attachment, AuthorKind, DeliveryStatus, Direction

ATTRIBUTES = ("Any JSON; preferred_channel: where proactive messages go first; unsubscribed: identity keys "
              "(kind:value) never to message")
NOT_BLANK = r"\S"  # somewhere in the text: a pattern, so the schema says what the API checks


def _key(**default: Any) -> Any:
    return Field(**default, min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$",
                 description="Your id for this request: repeating it repeats the first answer and changes nothing")


EXAMPLE_ID = "9f1c2e7a4b0d4c1e8a5b6c7d8e9f0a1b"
EXAMPLE_CUSTOMER: dict[str, Any] = {
    "id": EXAMPLE_ID, "name": "Анна Петрова",
    "identities": [{"kind": "phone", "value": "+79161234567"}, {"kind": "telegram", "value": "123456789"}],
    "attributes": {"loyalty_card": "7001-2002", "preferred_channel": "telegram"},
    "created_at": "2025-03-01T09:30:15Z", "version": 3, "merged_into": None,
}
EXAMPLE_MESSAGE: dict[str, Any] = {
    "id": "3b9d0e4f5a6b4c7d8e9f0a1b2c3d4e5f", "conversation_id": "c0ffee00112233445566778899aabbcc",
    "customer_id": EXAMPLE_ID, "direction": "outbound", "author": "operator", "channel": "telegram",
    "account_id": "retail_bot", "text": "Заказ 4512 доставлен, приятных покупок!", "attachments": [],
    "status": "sent", "status_reason": None, "sent_at": "2025-03-01T10:02:00Z", "created_at": "2025-03-01T10:02:00Z",
}
EXAMPLE_CONVERSATION: dict[str, Any] = {
    "id": "c0ffee00112233445566778899aabbcc", "customer_id": EXAMPLE_ID, "state": "queued",
    "channel": "telegram", "account_id": "retail_bot", "topic": "delivery", "priority": "high",
    "group": "delivery-desk", "assignee": None, "deep_link": "store_118", "created_at": "2025-03-01T09:30:15Z",
    "updated_at": "2025-03-01T09:31:00Z", "last_message_at": "2025-03-01T09:30:15Z", "resolved_at": None,
    "outcome": None, "version": 2,
    "history": [{"at": "2025-03-01T09:30:15Z", "kind": "opened", "from_state": None, "to_state": "bot",
                 "actor": "system", "note": None, "data": {}}],
}


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class ErrorDetail(BaseModel):
    """What went wrong: a stable code and a reason for people."""

    code: str
    reason: str


class ErrorBody(BaseModel):
    """Every error answer has this shape."""

    model_config = _examples({"error": {"code": "not_found", "reason": "customer 42 not found"}})

    error: ErrorDetail


class CustomerPublic(BaseModel):
    """A customer with every identity linked to them."""

    model_config = _examples(EXAMPLE_CUSTOMER)

    id: str
    name: str | None
    identities: list[Identity]
    attributes: dict[str, Any]
    created_at: datetime
    version: int
    merged_into: str | None = Field(description="Set on a customer merged into another (who has everything now)")


class CustomerUpdate(BaseModel):
    """Profile attributes to merge in: a key set to null is removed, keys not named are kept."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"attributes": {"loyalty_card": "7001-2002", "preferred_channel": "whatsapp", "old_segment": None}}]})

    attributes: dict[str, Any] = Field(json_schema_extra=ATTRIBUTES_SCHEMA, description=ATTRIBUTES)

    _attributes = field_validator("attributes")(checked_attributes)


class CustomerUpsert(BaseModel):
    """Find the customer by any of these identities (or create them) and merge the attributes in."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"identities": [{"kind": "phone", "value": "+7 916 123-45-67"}, {"kind": "email", "value": "anna@example.ru"}],
         "name": "Анна Петрова", "attributes": {"loyalty_card": "7001-2002"}}]})

    identities: list[Identity] = Field(min_length=1, max_length=20)
    name: str | None = Field(default=None, max_length=200, description="Used when the customer is created")
    attributes: dict[str, Any] = Field(default_factory=dict, json_schema_extra=ATTRIBUTES_SCHEMA,
                                       description=ATTRIBUTES)

    _attributes = field_validator("attributes")(checked_attributes)


class MergeRequest(BaseModel):
    """The customer to merge into the one named in the path."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True,
                              json_schema_extra={"examples": [{"from": "5e6f7a8b9c0d4e1f2a3b4c5d6e7f8a9b"}]})

    merged: str = Field(alias="from", min_length=1, max_length=64,
                        description="This customer's identities and conversations move; it becomes a redirect")


class MessagePublic(BaseModel):
    """One message of a conversation: inbound, outbound, or an internal note."""

    model_config = _examples(EXAMPLE_MESSAGE)

    id: str
    conversation_id: str
    customer_id: str
    direction: Direction
    author: AuthorKind
    channel: Channel
    account_id: str
    text: str
    attachments: list[Attachment]
    status: DeliveryStatus
    status_reason: str | None
    sent_at: datetime
    created_at: datetime


class ConversationPublic(BaseModel):
    """A conversation with its history of state changes."""

    model_config = _examples(EXAMPLE_CONVERSATION)

    id: str
    customer_id: str
    state: ConversationState
    channel: Channel
    account_id: str
    topic: str | None
    priority: Priority
    group: str | None
    assignee: str | None
    deep_link: str | None
    created_at: datetime
    updated_at: datetime
    last_message_at: datetime
    resolved_at: datetime | None
    outcome: str | None
    history: list[ConversationEvent]
    version: int


class ConversationDetail(ConversationPublic):
    """A conversation with its messages, oldest first (the latest 200), internal notes included."""

    model_config = _examples({**EXAMPLE_CONVERSATION, "messages": [EXAMPLE_MESSAGE]})

    messages: list[MessagePublic]


class ConversationPage(BaseModel):
    """One page of conversations, by (updated_at, id); pass `next_cursor` as `cursor` for the next."""

    model_config = _examples({"items": [EXAMPLE_CONVERSATION], "next_cursor": "eyJ1IjoiMjAyNS0wMy0wMVQwOTozMTowMC"})

    items: list[ConversationPublic]
    next_cursor: str | None = Field(description="Null on the last page")


class ConversationUpdate(BaseModel):
    """Fields to change; those not named stay. Topic and group may be set to null."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"topic": "delivery", "priority": "high", "group": "delivery-desk"}]})

    topic: str | None = Field(default=None, min_length=1, max_length=100)
    priority: Priority = Priority.NORMAL
    group: str | None = Field(default=None, min_length=1, max_length=100)


class NoteCreate(BaseModel):
    """An internal note: operators and the CRM see it, the customer never does."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"text": "Клиент звонил на горячую линию, курьер опаздывает на 40 минут", "author_name": "Мария (CRM)",
         "idempotency_key": "note-81723"}]})

    text: str = Field(min_length=1, max_length=MAX_TEXT, pattern=NOT_BLANK)
    author_name: str | None = Field(default=None, max_length=200)
    idempotency_key: str | None = _key(default=None)


class ResolveRequest(BaseModel):
    """Resolve with an outcome, sent to the shopper through the conversation's channel."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"outcome": "Мы вернули 1 250 ₽ за недовложенный товар, деньги придут в течение 3 дней.",
         "idempotency_key": "case-4512-resolve"}]})

    outcome: str = Field(min_length=1, max_length=MAX_TEXT, pattern=NOT_BLANK)
    idempotency_key: str = _key()
    notify: bool = Field(default=True, description="false: resolve without sending the outcome")


class ResolutionPublic(BaseModel):
    """The resolved conversation and the outcome message on its way (null when not notified)."""

    model_config = _examples({"conversation": {**EXAMPLE_CONVERSATION, "state": "resolved"},
                              "message": {**EXAMPLE_MESSAGE, "status": "pending"}})

    conversation: ConversationPublic
    message: MessagePublic | None


class ProactiveMessageCreate(BaseModel):
    """A notification or promo code; where the channel needs a template (WhatsApp outside its 24-hour
    window) `template` names one of the account's templates, else the text is sent as it is."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"text": "Ваш промокод на 500 ₽: SPRING500", "channel": "whatsapp", "template": "promo_code",
         "template_vars": {"1": "SPRING500"}, "idempotency_key": "promo-2025-03-8812"}]})

    text: str = Field(min_length=1, max_length=MAX_TEXT, pattern=NOT_BLANK)
    template: str | None = Field(default=None, min_length=1, max_length=100)
    template_vars: dict[str, str] = Field(default_factory=dict, max_length=20)
    channel: Channel | None = Field(default=None, description="Preferred for this message, if it reaches them")
    idempotency_key: str = _key()

    @field_validator("template_vars")
    @classmethod
    def _vars(cls, value: dict[str, str]) -> dict[str, str]:
        if any(len(k) > 64 or len(v) > 1000 for k, v in value.items()):
            raise ValueError("template variable names are at most 64 characters, values 1000")
        return value


class ProactiveReceipt(BaseModel):
    """The queued message; the same answer for every repeat of its idempotency key."""

    model_config = _examples({"message_id": EXAMPLE_MESSAGE["id"], "conversation_id": EXAMPLE_CONVERSATION["id"],
                              "customer_id": EXAMPLE_ID, "channel": "whatsapp", "account_id": "shop",
                              "idempotency_key": "promo-2025-03-8812"})

    message_id: str
    conversation_id: str
    customer_id: str
    channel: Channel
    account_id: str
    idempotency_key: str
