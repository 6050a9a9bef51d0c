"""The dispatcher: takes due deliveries from the store, signs and POSTs them, and records each attempt.

Every worker process runs one; they share the store. A delivery is sent only after `claim` gave this
dispatcher its lease, and its outcome is written only while the lease is still ours, so two dispatchers
never send the same attempt. The lease outlives the attempt's hard time limit, so it cannot run out
mid-send; if the process dies, the lease expires and another dispatcher makes the attempt again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime

from prometheus_client import Counter, Histogram

from hub.stores.webhooks import WebhookStore
from hub.webhooks import signing
from hub.webhooks.retries import DeliveryPolicy, Outcome, record, response_outcome
from models.clock import utcnow
from models.egress import EgressClient, EgressError, EgressTimeout
from models.errors import NotFound, OtklikError, Unavailable
from models.webhooks import Delivery, Subscription, WebhookStatus

log = logging.getLogger(__name__)

USER_AGENT = "Otklik-Webhooks/1"
ATTEMPTS = Counter("otklik_webhook_attempts_total", "Webhook delivery attempts by result", ["result"])
ATTEMPT_SECONDS = Histogram("otklik_webhook_attempt_seconds", "Time of one webhook delivery attempt")

Clock = Callable[[], datetime]
SETTLE_PAUSES = (0.05, 0.2, 1.0, 3.0)  # well inside the lease's margin


class Dispatcher:
    """Sends what is due, lane by lane, up to `concurrency` deliveries at once."""

    def __init__(
        self, store: WebhookStore, http: EgressClient, policy: DeliveryPolicy, *, owner: str,
        clock: Clock = utcnow, concurrency: int = 16,
    ) -> None:
        self.store = store
        self.http = http
        self.policy = policy
        self.owner = owner
        self.clock = clock
        self.concurrency = concurrency

    async def run(self, stop: asyncio.Event, *, wake: asyncio.Event | None = None, interval: float = 1.0) -> None:
        """Dispatch until `stop`: at once while there is work, else every `interval` or when woken."""
        while not stop.is_set():
            try:
                sent = await self.dispatch_once()
            except OtklikError as e:  # the store is down: wait and try again, as the worker does
                log.warning("webhook dispatch paused", extra={"reason": e.reason})
                sent = 0
            if not sent:
                await _pause(stop, wake, interval)

    async def dispatch_once(self) -> int:
        """Claim and send the deliveries due now; how many attempts were made."""
        due = await self.store.due(self.clock(), limit=self.concurrency)
        results = await asyncio.gather(*(self._attempt(d.id) for d in due), return_exceptions=True)
        for failure in (r for r in results if isinstance(r, BaseException)):
            if not isinstance(failure, Exception):
                raise failure  # cancellation and the like
            log.warning("webhook attempt failed before its outcome was written; its lease will expire",
                        exc_info=failure)
        return sum(1 for r in results if r is True)

    async def _attempt(self, delivery_id: str) -> bool:
        now = self.clock()
        claimed = await self.store.claim(delivery_id, owner=self.owner, now=now, until=now + self.policy.lease)
        if claimed is None:
            return False  # another dispatcher took it first
        await self.send(claimed)
        return True

    async def send(self, delivery: Delivery) -> Delivery:
        """Make the claimed delivery's attempt and write its outcome."""
        subscription = await self._subscription(delivery.subscription_id)
        at, started = self.clock(), time.perf_counter()
        if subscription is None or not subscription.active:
            outcome = Outcome(error="the subscription was removed or switched off", final=True)
        else:
            outcome = await self._post(subscription, delivery, at)
        latency = time.perf_counter() - started
        settled = record(delivery, outcome, at=at, latency_ms=latency * 1000, policy=self.policy)
        if settled.status is not WebhookStatus.DELIVERED:
            log.info("webhook attempt failed", extra={"delivery": delivery.id, "subscription": delivery.subscription_id,
                                                      "status": settled.status.value, "error": settled.last_error})
        if not await self._settle(settled):
            log.warning("webhook lease lost before the outcome was written", extra={"delivery": delivery.id})
        if outcome.gone and subscription is not None:
            await self.store.set_active(subscription.id, False)
            log.warning("receiver answered 410 Gone: subscription switched off",
                        extra={"subscription": subscription.id})
        ATTEMPTS.labels(settled.status.value).inc()
        ATTEMPT_SECONDS.observe(latency)
        return settled

    async def _settle(self, settled: Delivery) -> bool:
        """Write the outcome, riding out a short store hiccup: an attempt whose outcome is lost is made again."""
        for pause in SETTLE_PAUSES:
            try:
                return await self.store.settle(settled, owner=self.owner)
            except Unavailable:
                log.warning("store unavailable writing a webhook outcome; trying again", extra={"delivery": settled.id})
                await asyncio.sleep(pause)
        return await self.store.settle(settled, owner=self.owner)

    async def _subscription(self, subscription_id: str) -> Subscription | None:
        try:
            return await self.store.get_subscription(subscription_id)
        except NotFound:
            return None

    async def _post(self, subscription: Subscription, delivery: Delivery, at: datetime) -> Outcome:
        """POST the signed body; the outcome, never an exception, for anything the receiver or network did."""
        headers = {"content-type": "application/json", "user-agent": USER_AGENT,
                   **signing.headers(subscription.secret.get_secret_value(), delivery.id, at, delivery.payload)}
        timeout = self.policy.timeout
        try:
            async with asyncio.timeout(timeout):  # a hard limit: the lease must outlive it
                reply = await self.http.post(subscription.url, delivery.payload.encode(), headers, timeout=timeout)
        except EgressTimeout as e:
            return Outcome(error=f"timed out ({e})")
        except TimeoutError:
            return Outcome(error=f"timed out after {timeout:g} s")
        except EgressError as e:
            return Outcome(error=str(e))
        return response_outcome(reply.status, reply.retry_after, self.clock())


async def _pause(stop: asyncio.Event, wake: asyncio.Event | None, seconds: float) -> None:
    """Sleep `seconds`, or less if stopped or woken (new deliveries)."""
    waits = [asyncio.ensure_future(stop.wait())]
    if wake is not None:
        waits.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()
    if wake is not None:
        wake.clear()
