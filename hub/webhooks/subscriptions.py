"""Subscriptions: which events exist to subscribe to, and creating one (with a generated secret).

The catalogue is `models.events.EventType` (what the hub publishes) plus `PLANNED`: names of features
still to land, so a CRM may subscribe to them ahead. A type added to EventType is in the catalogue at
once; nothing here changes.
"""

from __future__ import annotations

import re
from typing import get_args

from pydantic import ValidationError

from hub.egress import check_destination
from hub.stores.webhooks import WebhookStore
from hub.webhooks import signing
from models.egress import EgressPolicy, RefusedDestination
from models.errors import PayloadError
from models.events import EventType
from models.webhooks import EVENT_PATTERN, Subscription

# Every feature the CRM issue named has landed (its "handover" is conversation.handed_over, its
# "case created" case.opened): nothing is planned now.
PLANNED: frozenset[str] = frozenset()


def published() -> frozenset[str]:
    """Event types the hub publishes now."""
    return frozenset(get_args(EventType))


def catalogue() -> list[str]:
    """Every event type a subscription may name, sorted."""
    return sorted(published() | PLANNED)


def check_events(patterns: list[str]) -> list[str]:
    """The patterns if each is '*', a known type, or 'family.*' of a known family; PayloadError naming the first
    that is not."""
    known = catalogue()
    families = {t.rsplit(".", 1)[0] for t in known}
    for pattern in patterns:
        family = pattern[:-2] if pattern.endswith(".*") else None
        if not re.fullmatch(EVENT_PATTERN, pattern) or (
            pattern != "*" and pattern not in known and family not in families
        ):
            raise PayloadError(f"events: unknown event type {pattern!r}; known: {', '.join(known)}")
    if not patterns:
        raise PayloadError("events: name at least one event type, or '*'")
    return patterns


async def create(
    store: WebhookStore, url: str, events: list[str], *, secret: str | None = None, description: str = "",
    active: bool = True, egress: EgressPolicy | None = None,
) -> Subscription:
    """Store a new subscription; its secret is generated unless given (then it must be a valid whsec_ one).

    The URL must reach a public address, or one `egress` (OTKLIK_OUTBOUND_ALLOW) allows: PayloadError otherwise.
    """
    chosen = signing.generate_secret() if secret is None else signing.check_secret(secret)
    try:
        await check_destination(url, egress or EgressPolicy())
    except RefusedDestination as e:
        raise PayloadError(f"url: {e}") from e
    try:
        subscription = Subscription.model_validate({
            "url": url, "secret": chosen, "events": check_events(events), "description": description,
            "active": active})
    except ValidationError as e:
        problem = e.errors()[0]
        raise PayloadError(f"{'.'.join(map(str, problem['loc']))}: {problem['msg']}") from e
    await store.add_subscription(subscription)
    return subscription
