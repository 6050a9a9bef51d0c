"""Fan-out: each event from the events stream becomes one delivery per active subscription that wants it.

Idempotent: a delivery is unique on (subscription, event), so an event read twice (a redelivered stream
entry, an event published again by a redelivered message) creates nothing new.

Order: deliveries of a conversation go out in the order their events happened (`event_at`). With one
consumer of the events stream (the in-process bus) they are also created in that order. With several
workers on Redis, two events of one conversation may be fanned out by two workers at once, the later
one first; so a fresh delivery is due only `hold` seconds after its event happened, time for the earlier
one to land in its lane ahead of it. Old events (a backlog after an outage) are not held.

The active subscriptions come from the store's in-process cache (`hub/stores/subscription_cache.py`): a
change made in this process is seen by the next event, one made by another process within a second.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hub.stores.webhooks import WebhookStore
from hub.webhooks import payloads
from models.clock import utcnow
from models.events import Event
from models.webhooks import Delivery, Subscription, delivery_id

GROUP = "webhooks"  # the consumer group on the events stream


def delivery_for(
    event: Event, subscription: Subscription, body: str, now: datetime, *, hold: float = 0.0
) -> Delivery:
    """The delivery of `event` to `subscription`, due now or `hold` seconds after the event, whichever is later."""
    webhook_id = delivery_id(subscription.id, event.id)
    due = max(now, event.at + timedelta(seconds=hold))
    return Delivery(
        id=webhook_id, subscription_id=subscription.id, event_id=event.id, event_type=event.type,
        event_at=event.at, lane=event.conversation_id or webhook_id, customer_id=event.customer_id,
        conversation_id=event.conversation_id, message_id=event.message_id, payload=body,
        created_at=now, next_attempt_at=due, budget_started_at=now,
    )


async def fan_out(event: Event, store: WebhookStore, *, now: datetime | None = None, hold: float = 0.0) -> int:
    """Create the event's deliveries; how many are new."""
    wanting = [s for s in await store.active_subscriptions() if s.wants(event.type)]  # cached: see the store
    if not wanting:
        return 0
    body, now = payloads.body(event), now or utcnow()
    created = 0
    for subscription in wanting:
        created += await store.add_delivery(delivery_for(event, subscription, body, now, hold=hold))
    return created


async def handle(entry: str, store: WebhookStore, *, hold: float = 0.0) -> int:
    """Fan out one entry of the events stream; how many deliveries are new."""
    return await fan_out(Event.model_validate_json(entry), store, hold=hold)
