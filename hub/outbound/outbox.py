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
from hub.customers.identity import identity_on
from hub.outbound.retry import RetryPolicy
from models.channels import SESSION_WINDOW_CHANNELS
from models.clock import utcnow
from models.customers import UNSUBSCRIBED
from models.errors import SendError
from models.messages import DeliveryStatus, Direction, Message, OutboundMessage

if TYPE_CHECKING:
    from hub.core import Hub

log = logging.getLogger(__name__)

_CLAIM_MARGIN = 2.0  # seconds a send claim outlasts the attempt it covers
_CLAIM_POLL = 0.5  # seconds between looks at a send another delivery holds


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
        await _repeat_outcome(hub, stored)
        return
    sender = hub.senders.get((out.channel, out.account_id))
    if sender is None:
        await _failed(hub, stored, f"no sender for {out.channel} account {out.account_id!r}")
        return
    customer = await hub.stores.customers.get(out.customer_id)
    if identity_on(out.channel, out.account_id, out.recipient).key in customer.attributes.get(UNSUBSCRIBED, []):
        await _failed(hub, stored, "the customer unsubscribed from this channel")
        return
    if out.channel in SESSION_WINDOW_CHANNELS:  # only their senders read it: one query less per other message
        last_inbound = await hub.stores.messages.last_inbound_at(out.customer_id, out.channel, out.account_id)
        out = out.model_copy(update={"last_inbound_at": last_inbound})
    s = hub.settings
    policy = RetryPolicy(s.outbox_max_attempts, s.outbox_base_delay, s.outbox_max_delay)
    claim = uuid.uuid4().hex  # this delivery's: a concurrent one of the same key is another
    hold = hub.settings.outbox_timeout + _CLAIM_MARGIN  # one attempt; renewed before each pause and attempt
    for attempt in range(1, policy.max_attempts + 1):
        if not await _claimed(hub, stored, claim, hold):  # done meanwhile by another delivery
            await _repeat_outcome(hub, await hub.stores.messages.get(stored.id))
            return
        started = time.perf_counter()
        try:
            receipt = await sender.send(out)
        except SendError as e:
            metrics.OUTBOUND.labels(out.channel, "error").inc()
            if not e.retryable or attempt == policy.max_attempts:
                await _failed(hub, stored, f"attempt {attempt}: {e.reason}")
                return
            log.info("send retry", extra={"message_id": stored.id, "attempt": attempt, "reason": e.reason})
            pause = policy.delay(attempt, e.retry_after)
            await hub.stores.messages.claim_send(stored.id, claim, until=utcnow() + timedelta(seconds=pause + hold),
                                                 now=utcnow())
            await asyncio.sleep(pause)
        else:
            metrics.SEND_SECONDS.labels(out.channel).observe(time.perf_counter() - started)
            metrics.OUTBOUND.labels(out.channel, "sent").inc()
            await hub.stores.messages.set_status(stored.id, receipt.status, external_id=receipt.external_id)
            await _announce(hub, "message.sent", stored)
            return


async def _claimed(hub: Hub, stored: Message, claim: str, seconds: float) -> bool:
    """Hold the right to send `stored` for `seconds`; False once it is no longer pending (the other delivery
    sent it or gave up). While another delivery holds it, wait: its claim is short and only renewed while
    it is alive, so a killed worker's claim runs out within seconds, and the entry's attempts are not spent."""
    while True:
        now = utcnow()
        if await hub.stores.messages.claim_send(stored.id, claim, until=now + timedelta(seconds=seconds), now=now):
            return True
        if (await hub.stores.messages.get(stored.id)).status is not DeliveryStatus.PENDING:
            return False
        await asyncio.sleep(_CLAIM_POLL)


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


async def _repeat_outcome(hub: Hub, stored: Message) -> None:
    failed = stored.status is DeliveryStatus.FAILED
    await _announce(hub, "message.failed" if failed else "message.sent", stored)


async def _announce(hub: Hub, kind: str, stored: Message, **data: str) -> None:
    await events.emit(hub, kind, stored.id, customer_id=stored.customer_id, conversation_id=stored.conversation_id,
                      message_id=stored.id, **data)
