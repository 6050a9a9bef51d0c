"""What an audience may ask of the CRM, read through the context port; and what the hub itself knows of the
customer's consent and channel window."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from hub.customers.identity import kind_of
from models.campaigns import CustomerFacts
from models.channels import Channel
from models.context import CustomerRef
from models.customers import UNSUBSCRIBED, Customer
from models.errors import NotFound, Unavailable
from models.messages import Direction

if TYPE_CHECKING:
    from hub.core import Hub

MARKETING_CONSENT = "marketing_consent"  # customer attribute the CRM sets: False means no marketing at all
PURCHASES_READ = 50
WHATSAPP_WINDOW = timedelta(hours=24) - timedelta(minutes=1)  # the connector keeps a minute in hand


async def customer_facts(hub: Hub, customer: Customer, now: datetime) -> CustomerFacts:
    """Loyalty tier, region, stores and purchase days from the CRM; nothing when it cannot answer (then only
    audiences without CRM rules take the customer)."""
    ref = CustomerRef.of(customer)
    try:
        profile = await hub.context.profile(ref)
        purchases = await hub.context.purchases(ref, limit=PURCHASES_READ)
    except (NotFound, Unavailable):
        return CustomerFacts()
    days = tuple(sorted(max(0, (now - p.at).days) for p in purchases))
    return CustomerFacts(crm_id=profile.id, loyalty_tier=profile.loyalty_card.tier if profile.loyalty_card else None,
                         region=profile.city, stores=frozenset(p.store.number for p in purchases), purchase_days=days)


def marketing_allowed(customer: Customer, channel: Channel) -> bool:
    """No "no" to marketing from the CRM, and not unsubscribed on this channel."""
    if customer.attributes.get(MARKETING_CONSENT) is False:
        return False
    blocked = set(customer.attributes.get(UNSUBSCRIBED) or [])
    kind = kind_of(channel)
    return not any(i.key in blocked for i in customer.identities if i.kind is kind)


async def session_open(hub: Hub, customer: Customer, channel: Channel, now: datetime) -> bool:
    """Whether free text may go out on `channel` now: always, but on WhatsApp only within 24 h of their message."""
    if channel is not Channel.WHATSAPP:
        return True
    messages = await hub.stores.messages.list_for_customer(customer.id, limit=50)
    last = max((m.sent_at for m in messages if m.direction is Direction.INBOUND and m.channel is channel),
               default=None)
    return last is not None and now - last < WHATSAPP_WINDOW
