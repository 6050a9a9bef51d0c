"""The outbox: every outbound message is stored, queued, and sent with retries; never lost, never doubled.

`enqueue` stores the message (a known idempotency key is a no-op) and queues it; `deliver` (run by
the worker) sends it unless it is already past `pending`, retrying retryable failures with backoff,
and marks it sent or failed. Each attempt first claims the send in the store, so two deliveries
of one key (a message and its resend, handled at once) never both send. A failed message stays
in the store with its reason: the dead-letter list.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from hub import events, metrics
from hub.bus.base import OUTBOUND
from hub.identity import identity_on
from models.clock import utcnow
from models.customers import UNSUBSCRIBED
from models.errors import SendError
from models.messages import DeliveryStatus, Direction, Message, OutboundMessage

if TYPE_CHECKING:
    from hub.runtime import Hub

log = logging.getLogger(__name__)


async def enqueue(out: OutboundMessage, hub: Hub) -> Message:
    """Store the message as pending and queue it for delivery; returns the stored record."""
    stored = await _record(out, hub)
    # Queued even when already stored: a crash between store and queue must not strand it.
    # `deliver` skips anything no longer pending, so a second queue entry sends nothing twice.
    queued = out.model_copy(update={"id": stored.id})
    await hub.bus.publish(hub.partition(OUTBOUND, out.recipient), queued.model_dump_json())
    return stored


async def deliver(out: OutboundMessage, hub: Hub) -> None:
    """Send one queued message through its channel account, with the outbox's retries."""
    stored = await hub.stores.messages.find_by_key(out.idempotency_key)
    if stored is None:  # queued by an older process that stored nothing: store it now
        stored = await _record(out, hub)
    if stored.direction is Direction.INTERNAL:  # a key that names an internal note: notes are never sent
        log.warning("refused to send an internal note", extra={"message_id": stored.id})
        return
    if stored.status is not DeliveryStatus.PENDING:  # a redelivery: repeat the event in case it was lost
        failed = stored.status is DeliveryStatus.FAILED
        await _announce(hub, "message.failed" if failed else "message.sent", stored)
        return
    sender = hub.senders.get((out.channel, out.account_id))
    if sender is None:
        await _failed(hub, stored, f"no sender for {out.channel} account {out.account_id!r}")
        return
    customer = await hub.stores.customers.get(out.customer_id)
    if identity_on(out.channel, out.account_id, out.recipient).key in customer.attributes.get(UNSUBSCRIBED, []):
        await _failed(hub, stored, "the customer unsubscribed from this channel")
        return
    last_inbound = await hub.stores.messages.last_inbound_at(out.customer_id, out.channel, out.account_id)
    out = out.model_copy(update={"last_inbound_at": last_inbound})
    policy = hub.retry
    claim = uuid.uuid4().hex  # this delivery's: a concurrent one of the same key is another
    for attempt in range(1, policy.max_attempts + 1):
        await _claim(hub, stored, claim)
        started = time.perf_counter()
        try:
            receipt = await sender.send(out)
        except SendError as e:
            metrics.OUTBOUND.labels(out.channel, "error").inc()
            if not e.retryable or attempt == policy.max_attempts:
                await _failed(hub, stored, f"attempt {attempt}: {e.reason}")
                return
            log.info("send retry", extra={"message_id": stored.id, "attempt": attempt, "reason": e.reason})
            await asyncio.sleep(policy.delay(attempt, e.retry_after))
        else:
            metrics.SEND_SECONDS.labels(out.channel).observe(time.perf_counter() - started)
            metrics.OUTBOUND.labels(out.channel, "sent").inc()
            await hub.stores.messages.set_status(stored.id, receipt.status, external_id=receipt.external_id)
            await _announce(hub, "message.sent", stored)
            return


class SendInProgress(Exception):
    """Another delivery of the same message holds its send: the bus tries this one again later, when the
    message is sent (then it only repeats the event) or that delivery's claim has run out (it died)."""


async def _claim(hub: Hub, stored: Message, claim: str) -> None:
    """Hold the right to send `stored` for one attempt and the pause after it, or raise SendInProgress."""
    now = utcnow()
    span = timedelta(seconds=2 * hub.settings.outbox_timeout + hub.settings.outbox_max_delay)
    if not await hub.stores.messages.claim_send(stored.id, claim, until=now + span, now=now):
        raise SendInProgress(f"message {stored.id} is being sent by another delivery (or no longer pending)")


async def _record(out: OutboundMessage, hub: Hub) -> Message:
    """The stored record of `out`: a new pending one, or the one already kept under its idempotency key."""
    stored = Message.from_outbound(out)
    if await hub.stores.messages.add(stored):
        return stored
    return await hub.stores.messages.find_by_key(out.idempotency_key) or stored


async def _failed(hub: Hub, stored: Message, reason: str) -> None:
    log.warning("send failed", extra={"message_id": stored.id, "reason": reason})
    metrics.OUTBOUND.labels(stored.channel, "failed").inc()
    await hub.stores.messages.set_status(stored.id, DeliveryStatus.FAILED, reason=reason)
    await _announce(hub, "message.failed", stored, reason=reason)


async def _announce(hub: Hub, kind: str, stored: Message, **data: str) -> None:
    await events.emit(hub, kind, stored.id, customer_id=stored.customer_id, conversation_id=stored.conversation_id,
                      message_id=stored.id, **data)
