"""When to try a delivery again: exponential backoff with full jitter, Retry-After honoured, a budget.

Retried: timeouts, connection errors, 5xx, 429, 408, 425 and redirects (not followed: the spec calls them
failures, and the CRM may fix the URL while we retry). Final: every other 4xx; 410 Gone also switches
the subscription off, as the spec suggests. After `max_attempts` attempts or `budget` since the delivery
was created (or last replayed) it is dead; the last attempt is made at the end of the budget.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from hub.settings import Settings
from models.webhooks import ATTEMPT_LOG, Attempt, Delivery, WebhookStatus

RETRIED_4XX = frozenset({408, 425, 429})


@dataclass(frozen=True)
class DeliveryPolicy:
    """How patiently deliveries are retried; backoff_base=0 removes the waits in tests."""

    max_attempts: int = 300
    budget: timedelta = timedelta(hours=24)
    backoff_base: float = 1.0
    backoff_max: float = 600.0
    timeout: float = 15.0
    lease_margin: float = 30.0  # a lease outlives the longest attempt by this much

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        """The policy the settings configure."""
        return cls(settings.webhook_max_attempts, timedelta(hours=settings.webhook_budget_hours),
                   settings.webhook_backoff_base, settings.webhook_backoff_max, settings.webhook_timeout)

    @property
    def lease(self) -> timedelta:
        """How long a claim holds a delivery: a crashed dispatcher's delivery is retried after this."""
        return timedelta(seconds=self.timeout + self.lease_margin)

    def backoff(self, attempt: int) -> float:
        """Seconds before the attempt after `attempt` (from 1): uniform in [0, min(max, base * 2^(n-1))]."""
        return random.uniform(0, min(self.backoff_max, self.backoff_base * 2 ** min(attempt - 1, 64)))


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: an HTTP status, or a transport error."""

    status_code: int | None = None
    error: str | None = None
    retry_after: float | None = None
    final: bool = False  # no point retrying whatever the status (the subscription is gone or off)

    @property
    def delivered(self) -> bool:
        """The receiver took it (2xx)."""
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def retryable(self) -> bool:
        """Worth another attempt."""
        code = self.status_code
        if self.final:
            return False
        return code is None or code >= 500 or code in RETRIED_4XX or 300 <= code < 400

    @property
    def gone(self) -> bool:
        """410: the receiver wants no more webhooks from us."""
        return self.status_code == 410


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def response_outcome(status_code: int, retry_after: str | None, now: datetime) -> Outcome:
    """The outcome of an attempt the receiver answered."""
    if 200 <= status_code < 300:
        return Outcome(status_code)
    note = " (redirects are not followed: update the URL)" if 300 <= status_code < 400 else ""
    return Outcome(status_code, f"HTTP {status_code}{note}", parse_retry_after(retry_after, now))


def record(
    delivery: Delivery, outcome: Outcome, *, at: datetime, latency_ms: float, policy: DeliveryPolicy
) -> Delivery:
    """The delivery after this attempt: delivered, failed with its next attempt scheduled, or dead; unheld."""
    status, next_at, error = _next_step(delivery, outcome, at, policy)
    attempt = Attempt(number=delivery.attempts, at=at, status_code=outcome.status_code, error=error,
                      latency_ms=round(latency_ms, 1), outcome=status)
    return delivery.model_copy(update={
        "status": status, "next_attempt_at": next_at, "last_attempt_at": at, "last_status_code": outcome.status_code,
        "last_error": error, "last_latency_ms": attempt.latency_ms, "lease_owner": None, "lease_until": None,
        "delivered_at": at if status is WebhookStatus.DELIVERED else delivery.delivered_at,
        "log": [*delivery.log, attempt][-ATTEMPT_LOG:],
    })


def _next_step(
    delivery: Delivery, outcome: Outcome, at: datetime, policy: DeliveryPolicy
) -> tuple[WebhookStatus, datetime, str | None]:
    if outcome.delivered:
        return WebhookStatus.DELIVERED, at, None
    if not outcome.retryable:
        return WebhookStatus.DEAD, at, outcome.error
    deadline = delivery.budget_started_at + policy.budget
    if delivery.budget_attempts >= policy.max_attempts or at >= deadline:
        return WebhookStatus.DEAD, at, f"{outcome.error}; retry budget spent after {delivery.budget_attempts} attempts"
    wait = outcome.retry_after if outcome.retry_after is not None else policy.backoff(delivery.budget_attempts)
    return WebhookStatus.FAILED, min(at + timedelta(seconds=wait), deadline), outcome.error
