"""Outbound webhooks: a CRM's subscription, and one delivery of one event to it with its attempts.

A delivery is one event for one subscription, unique on (subscription, event). Its id is the Standard
Webhooks `webhook-id`: derived from that pair, it stays the same across retries and replays, so the
receiver can drop repeats. Its lane (the conversation, when there is one) orders it: a later delivery of
the same subscription and lane waits until the earlier one was delivered or is dead.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from models.clock import utcnow
from models.ids import new_id

# An event type ("message.received"), a family ("message.*") or everything ("*").
EVENT_PATTERN = r"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$"
ATTEMPT_LOG = 20  # attempts kept on a delivery, newest last
SUBSCRIPTION_ID = r"^wh_[0-9a-f]{20}$"
DELIVERY_ID = r"^msg_[0-9a-f]{32}$"


def matches(pattern: str, event_type: str) -> bool:
    """Whether a subscription's event pattern covers `event_type`."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


class Subscription(BaseModel):
    """Where a CRM wants events, which ones, and the secret that signs them (never in repr or logs)."""

    id: str = Field(default_factory=lambda: f"wh_{new_id()[:20]}")
    url: str = Field(min_length=8, max_length=2000)
    secret: SecretStr
    events: list[str] = Field(min_length=1, max_length=64)
    active: bool = True
    description: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("the URL must be http(s)://host/...")
        return value

    @field_validator("events")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))  # keep the order, drop repeats

    def wants(self, event_type: str) -> bool:
        """Whether this subscription takes events of this type."""
        return any(matches(pattern, event_type) for pattern in self.events)

    def revealed(self, mode: Literal["json", "python"] = "json") -> dict[str, Any]:
        """The stored form: every field, the secret in clear (a plain dump masks it)."""
        return {**self.model_dump(mode=mode, exclude={"secret"}), "secret": self.secret.get_secret_value()}


class WebhookStatus(StrEnum):
    """Where a delivery is."""

    PENDING = "pending"  # waiting for its first attempt (or a replay)
    FAILED = "failed"  # the last attempt failed; another one is scheduled
    DELIVERED = "delivered"  # the receiver answered 2xx
    DEAD = "dead"  # given up: a final refusal, or the retry budget is spent


OPEN_STATUSES = frozenset({WebhookStatus.PENDING, WebhookStatus.FAILED})


class Attempt(BaseModel):
    """One try to deliver, as the delivery log shows it."""

    model_config = ConfigDict(frozen=True)

    number: int
    at: datetime
    status_code: int | None = None
    error: str | None = None
    latency_ms: float = 0.0
    outcome: WebhookStatus


def delivery_id(subscription_id: str, event_id: str) -> str:
    """The webhook-id of an event's delivery to a subscription: stable, and free of '.' as the spec asks."""
    digest = hashlib.sha256(f"{subscription_id}\n{event_id}".encode()).hexdigest()
    return f"msg_{digest[:32]}"


class Delivery(BaseModel):
    """One event on its way to one subscription: the exact body, its state, and the log of attempts."""

    id: str
    subscription_id: str
    event_id: str
    event_type: str
    event_at: datetime
    lane: str  # the conversation id, else the delivery's own id (nothing to keep in order with)
    customer_id: str | None = None
    conversation_id: str | None = None
    message_id: str | None = None
    payload: str  # the JSON body, fixed once: every attempt sends and signs the same bytes
    status: WebhookStatus = WebhookStatus.PENDING
    seq: int = 0  # set by the store: the order deliveries were created in
    created_at: datetime = Field(default_factory=utcnow)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    attempts: int = 0  # every attempt ever made
    budget_started_at: datetime = Field(default_factory=utcnow)  # a replay starts a new budget
    budget_attempts: int = 0  # attempts within the current budget
    replays: int = 0
    last_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    last_latency_ms: float | None = None
    delivered_at: datetime | None = None
    lease_owner: str | None = None  # the dispatcher sending it right now
    lease_until: datetime | None = None
    log: list[Attempt] = Field(default_factory=list)

    @property
    def is_open(self) -> bool:
        """Still to be sent (pending or failed-retrying)."""
        return self.status in OPEN_STATUSES

    def claimed(self, owner: str, until: datetime) -> Delivery:
        """This delivery held by `owner` until `until`, its new attempt counted."""
        return self.model_copy(update={"lease_owner": owner, "lease_until": until, "attempts": self.attempts + 1,
                                       "budget_attempts": self.budget_attempts + 1})

    def replayed(self, now: datetime) -> Delivery:
        """This delivery due again now, with a fresh retry budget; its id and body stay the same."""
        return self.model_copy(update={"status": WebhookStatus.PENDING, "next_attempt_at": now,
                                       "budget_started_at": now, "budget_attempts": 0, "replays": self.replays + 1,
                                       "lease_owner": None, "lease_until": None})
