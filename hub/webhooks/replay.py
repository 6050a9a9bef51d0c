"""Replay: the chosen deliveries are sent again as they were (same webhook-id, same body), with a fresh
retry budget. One by id, or every delivery created in a time range (optionally one subscription's, or
one status), e.g. to recover a receiver that lost what it took during an outage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from hub.stores.webhooks import WebhookStore
from models.clock import utcnow
from models.errors import Conflict, PayloadError
from models.webhooks import Delivery, WebhookStatus

PAGE = 500


@dataclass
class Replayed:
    """What a range replay did: the deliveries made due again, and those skipped while being sent."""

    replayed: list[str] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)


async def replay_one(store: WebhookStore, delivery_id: str, *, now: datetime | None = None) -> Delivery:
    """Send one delivery again; NotFound if unknown, Conflict while it is being sent."""
    replayed = await store.replay(delivery_id, now=now or utcnow())
    if replayed is None:
        raise Conflict(f"webhook delivery {delivery_id} is being sent right now; replay it after this attempt")
    return replayed


async def replay_range(
    store: WebhookStore, *, since: datetime, until: datetime, subscription_id: str | None = None,
    status: WebhookStatus | None = None, now: datetime | None = None,
) -> Replayed:
    """Send again every delivery created in [since, until) that matches; oldest first in the result."""
    if until <= since:
        raise PayloadError("until: must be after since")
    chosen: list[str] = []
    before: int | None = None
    while True:
        page = await store.list_deliveries(status=status, subscription_id=subscription_id, since=since,
                                           until=until, before_seq=before, limit=PAGE)
        chosen += [d.id for d in page]
        if len(page) < PAGE:
            break
        before = page[-1].seq
    result, now = Replayed(), now or utcnow()
    for delivery_id in reversed(chosen):
        done = await store.replay(delivery_id, now=now)
        (result.replayed if done is not None else result.busy).append(delivery_id)
    return result
