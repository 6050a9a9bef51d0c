"""HTTP shapes of the webhooks API (`api/routes/crm_webhooks.py`), with the examples OpenAPI shows."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue

from models.webhooks import Attempt, Delivery, Subscription, WebhookStatus

_SUBSCRIPTION_ID = "wh_3f9a0c2b7d1e4a5b6c7d"
_SUBSCRIPTION: dict[str, JsonValue] = {
    "id": _SUBSCRIPTION_ID, "url": "https://crm.example.ru/otklik/webhooks",
    "events": ["message.received", "conversation.*"], "active": True, "description": "CRM",
    "created_at": "2025-03-01T09:30:15.123000Z"}
_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class SubscriptionCreate(BaseModel):
    """A URL to send events to, which events, and optionally the signing secret to use."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"url": "https://crm.example.ru/otklik/webhooks", "events": ["message.received", "conversation.*"],
         "description": "CRM"}]})

    url: str = Field(min_length=8, max_length=2000, description="http(s) URL receiving POSTs")
    events: list[str] = Field(min_length=1, max_length=64,
                              description="Event types, 'family.*' or '*' (see /api/v1/webhooks/event-types)")
    secret: str | None = Field(default=None, max_length=200,
                               description="'whsec_' + base64 of 24-64 bytes; generated when absent")
    description: str = Field(default="", max_length=200)
    active: bool = True


class SubscriptionUpdate(BaseModel):
    """Switch a subscription on or off."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"active": True}]})

    active: bool


class SubscriptionPublic(BaseModel):
    """A subscription as listed (never with its secret)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SUBSCRIPTION]})

    id: str
    url: str
    events: list[str]
    active: bool
    description: str
    created_at: datetime

    @classmethod
    def of(cls, subscription: Subscription) -> SubscriptionPublic:
        """The public view of a stored subscription."""
        return cls.model_validate(subscription.model_dump(exclude={"secret"}))


class SubscriptionCreated(SubscriptionPublic):
    """A new subscription with its signing secret: keep it to verify `webhook-signature`."""

    model_config = ConfigDict(json_schema_extra={"examples": [{**_SUBSCRIPTION, "secret": _SECRET}]})

    secret: str

    @classmethod
    def of(cls, subscription: Subscription, *, secret: str = "") -> SubscriptionCreated:
        """The response to a create, secret included."""
        return cls.model_validate({**subscription.model_dump(exclude={"secret"}), "secret": secret})


class SubscriptionSecret(BaseModel):
    """A subscription's signing secret."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"id": _SUBSCRIPTION_ID, "secret": _SECRET}]})

    id: str
    secret: str


class EventTypes(BaseModel):
    """Event types: published now, and named for features still to come."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"published": ["conversation.opened", "message.received"], "planned": []}]})

    published: list[str]
    planned: list[str]


class DeliveryPublic(BaseModel):
    """One event's delivery to one subscription: its state, its attempts, and the body sent."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "msg_5d1c0b8e2f7a4c3d9e6b1a0f2c4d6e8a", "subscription_id": _SUBSCRIPTION_ID,
        "event_id": "message.received:0c9e", "event_type": "message.received",
        "conversation_id": "7b2d", "status": "failed", "attempts": 2,
        "created_at": "2025-03-01T09:30:15.200000Z", "next_attempt_at": "2025-03-01T09:30:19.000000Z",
        "last_attempt_at": "2025-03-01T09:30:17.000000Z", "last_status_code": 503, "last_error": "HTTP 503",
        "last_latency_ms": 41.7, "delivered_at": None, "replays": 0,
        "log": [{"number": 2, "at": "2025-03-01T09:30:17.000000Z", "status_code": 503, "error": "HTTP 503",
                 "latency_ms": 41.7, "outcome": "failed"}],
        "payload": {"type": "message.received", "version": 1, "id": "message.received:0c9e",
                    "timestamp": "2025-03-01T09:30:15.123Z",
                    "data": {"channel": "telegram", "customer_id": "a1", "conversation_id": "7b2d",
                             "message_id": "0c9e"}}}]})

    id: str = Field(description="The `webhook-id` header: the same on every attempt and replay")
    subscription_id: str
    event_id: str
    event_type: str
    conversation_id: str | None
    status: WebhookStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    last_latency_ms: float | None
    delivered_at: datetime | None
    replays: int
    log: list[Attempt]
    payload: dict[str, Any]

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryPublic:
        """The public view of a stored delivery."""
        fields = delivery.model_dump(include=set(cls.model_fields) - {"payload"})
        return cls.model_validate({**fields, "payload": json.loads(delivery.payload)})


class DeliveryPage(BaseModel):
    """One page of the delivery log; pass `next_cursor` as `cursor` for the next (null: no more)."""

    items: list[DeliveryPublic]
    next_cursor: str | None


class RangeReplay(BaseModel):
    """Which deliveries to send again: created in [since, until), optionally one subscription's or status."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"since": "2025-03-01T09:00:00Z", "until": "2025-03-01T10:00:00Z", "status": "dead"}]})

    since: AwareDatetime
    until: AwareDatetime
    subscription_id: str | None = None
    status: WebhookStatus | None = None


class RangeReplayResult(BaseModel):
    """Deliveries made due again (oldest first), and those skipped because an attempt was under way."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"replayed": ["msg_5d1c0b8e2f7a4c3d9e6b1a0f2c4d6e8a"], "busy": []}]})

    replayed: list[str]
    busy: list[str]
