"""Where a message to a customer can go: a channel account we can send through and their address on it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hub.customers.identity import kind_of
from models.channels import Channel
from models.customers import PREFERRED_CHANNEL, UNSUBSCRIBED, Customer, Identity
from models.errors import Conflict
from models.messages import Direction

if TYPE_CHECKING:
    from hub.core import Hub

# A phone caller can only be answered during their call: nothing can be pushed to the hotline.
PUSHABLE = frozenset(Channel) - {Channel.VOICE}


@dataclass(frozen=True)
class Route:
    """A channel account and the customer's address there."""

    channel: Channel
    account_id: str
    recipient: str


def _recipient(identity: Identity, channel: Channel, account_id: str) -> str | None:
    """The channel's address in an identity; an API client's ids are scoped by its account."""
    if channel is not Channel.API:
        return identity.value
    prefix = f"{account_id}:"
    return identity.value.removeprefix(prefix) if identity.value.startswith(prefix) else None


def route_on(hub: Hub, customer: Customer, channel: Channel, account_id: str) -> Route | None:
    """The customer's address on this account, if we can send there and they have not unsubscribed."""
    if (channel, account_id) not in hub.senders:
        return None
    blocked = set(customer.attributes.get(UNSUBSCRIBED) or [])
    kind = kind_of(channel)
    for identity in reversed(customer.identities):  # the most recently linked first
        recipient = _recipient(identity, channel, account_id) if identity.kind is kind else None
        if recipient and identity.key not in blocked:
            return Route(channel, account_id, recipient)
    return None


def _accounts(hub: Hub, channel: Channel, used: list[tuple[Channel, str]]) -> list[str]:
    """The channel's accounts that can send, those the customer wrote to first."""
    configured = [a for (c, a) in hub.senders if c is channel]
    return [a for (c, a) in used if c is channel and a in configured] + configured


async def _recent_accounts(hub: Hub, customer: Customer) -> list[tuple[Channel, str]]:
    """Channel accounts the customer wrote through, the most recent first."""
    messages = await hub.stores.messages.list_for_customer(customer.id, limit=100)
    seen: dict[tuple[Channel, str], None] = {}
    for m in reversed(messages):
        if m.direction is Direction.INBOUND:
            seen.setdefault((m.channel, m.account_id), None)
    return list(seen)


def _identity_channels(customer: Customer) -> list[Channel]:
    """Channels the customer has an identity on, in the order they were linked."""
    by_kind = {kind_of(c): c for c in PUSHABLE}
    return list(dict.fromkeys(by_kind[i.kind] for i in customer.identities if i.kind in by_kind))


def _preferred(customer: Customer) -> Channel | None:
    value = customer.attributes.get(PREFERRED_CHANNEL)
    return Channel(value) if isinstance(value, str) and value in {c.value for c in Channel} else None


async def proactive_route(hub: Hub, customer: Customer, requested: Channel | None) -> Route:
    """The requested channel if it reaches the customer, else their preferred one, else the one they wrote
    through last, else any channel they have an identity on; Conflict when none reaches them."""
    used = await _recent_accounts(hub, customer)
    candidates: Iterable[Channel | None] = (
        requested, _preferred(customer), *(c for c, _ in used), *_identity_channels(customer))
    for channel in dict.fromkeys(candidates):
        if channel is None or channel not in PUSHABLE:
            continue
        for account_id in _accounts(hub, channel, used):
            route = route_on(hub, customer, channel, account_id)
            if route is not None:
                return route
    raise Conflict(f"customer {customer.id} has no channel we can send to (or unsubscribed from all)")
