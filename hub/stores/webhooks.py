"""Store port of outbound webhooks: subscriptions and their deliveries (the durable delivery queue).

Adapters: `sqlite_webhooks.py` and `mongo_webhooks.py`; both pass the webhook part of
`tests/contract/test_stores.py`. Several dispatchers (processes) share one store: `claim` is the one
atomic step that lets only one of them send a given attempt, and a lease that expires hands a crashed
dispatcher's delivery to another.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from models.webhooks import Delivery, Subscription, WebhookStatus


class WebhookStore(Protocol):
    """Subscriptions, and deliveries unique on (subscription, event)."""

    async def add_subscription(self, subscription: Subscription) -> None:
        """Insert a new subscription (its secret included)."""
        ...

    async def get_subscription(self, subscription_id: str) -> Subscription:
        """The subscription, or NotFound."""
        ...

    async def list_subscriptions(self) -> list[Subscription]:
        """Every subscription, oldest first."""
        ...

    async def active_subscriptions(self) -> list[Subscription]:
        """The active subscriptions, oldest first, as fan-out reads them: from a cache in this process that
        any change through this store drops at once, and that sees a change made by another process within
        a second (`hub/stores/subscription_cache.py`)."""
        ...

    async def set_active(self, subscription_id: str, active: bool) -> bool:
        """Turn a subscription on or off; False if unknown."""
        ...

    async def remove_subscription(self, subscription_id: str) -> bool:
        """Delete a subscription (its delivery log stays); False if unknown."""
        ...

    async def add_delivery(self, delivery: Delivery) -> bool:
        """Insert and number (`seq`); False, writing nothing, if the subscription has this event already."""
        ...

    async def get_delivery(self, delivery_id: str) -> Delivery:
        """The delivery, or NotFound."""
        ...

    async def list_deliveries(
        self, *, status: WebhookStatus | None = None, subscription_id: str | None = None,
        before_seq: int | None = None, since: datetime | None = None, until: datetime | None = None,
        limit: int = 50,
    ) -> list[Delivery]:
        """Deliveries matching every filter given (created in [since, until)), newest first, below `before_seq`."""
        ...

    async def due(self, now: datetime, *, limit: int) -> list[Delivery]:
        """Open deliveries whose next attempt is due and that nobody holds, each the first open one of
        its (subscription, lane): a later one waits until the earlier is delivered or dead."""
        ...

    async def claim(self, delivery_id: str, *, owner: str, now: datetime, until: datetime) -> Delivery | None:
        """Atomically take a due, open, unheld delivery until `until` and count the attempt; None if
        another dispatcher holds it or it is no longer due."""
        ...

    async def settle(self, delivery: Delivery, *, owner: str) -> bool:
        """Write back the outcome of `owner`'s attempt and drop the lease; False if `owner` lost it."""
        ...

    async def replay(self, delivery_id: str, *, now: datetime) -> Delivery | None:
        """Make the delivery due now with a fresh budget (same id, same body); None while someone is
        sending it; NotFound if unknown."""
        ...
