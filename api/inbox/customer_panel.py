"""The customer beside a conversation: profile, linked identities, earlier conversations, CRM context.

The CRM part is loaded by its own request (the page asks for it once shown), so a slow or absent CRM
never slows the conversation page; it says plainly when there is nothing to show and why.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import TYPE_CHECKING

from api.inbox.other_groups import foreign_conversations
from api.inbox.rows import display_name, group_name
from api.inbox.views import ClaimView, ContextView, CustomerPanel, IdentityView, PastConversation
from hub.customers import claims, profiles
from models.context import CustomerRef, Order, Purchase
from models.conversations import Conversation
from models.customers import PREFERRED_CHANNEL, UNSUBSCRIBED, Customer
from models.errors import NotFound, Unavailable
from models.staff import User

if TYPE_CHECKING:
    from hub.core import Hub

PREVIOUS_LIMIT = 10
CONTEXT_ITEMS = 3
SHOWN_ATTRIBUTES = ("crm_id", PREFERRED_CHANNEL, UNSUBSCRIBED, "store_id", "city")


async def load_customer(hub: Hub, conversation: Conversation, user: User) -> tuple[Customer, CustomerPanel]:
    """The customer (after merges) and their panel without CRM context (that comes by `load_context`)."""
    customer = await profiles.current(hub, conversation.customer_id)
    earlier = await hub.stores.conversations.list_for_customer(customer.id, limit=PREVIOUS_LIMIT + 1)
    earlier = [c for c in earlier if c.id != conversation.id][:PREVIOUS_LIMIT]
    foreign = await foreign_conversations(hub, user, {c.id for c in earlier})
    previous = [await _past(hub, c, c.id in foreign) for c in earlier]
    panel = CustomerPanel(
        id=customer.id, name=display_name(customer),
        identities=[IdentityView(kind=i.kind.value, value=i.value) for i in customer.identities],
        claims=[ClaimView(kind=c.claim.identity.kind.value, value=c.claim.identity.value, key=c.claim.identity.key,
                          status=c.claim.status.value, channel=c.claim.channel.value,
                          owner_name=(c.owner_name or c.owner_id) if c.owner_id else None,
                          decided_by=c.claim.decided_by)
                for c in await claims.of_customer(hub, customer.id)],
        attributes={k: _text(customer.attributes[k]) for k in SHOWN_ATTRIBUTES if k in customer.attributes},
        previous=previous, context=ContextView(available=False, reason="loading"),
    )
    return customer, panel


async def _past(hub: Hub, conversation: Conversation, foreign: bool) -> PastConversation:
    """An earlier conversation; one of a group the viewer is not in shows only when, where and which group."""
    c = conversation
    if foreign:
        return PastConversation(id=c.id, state=c.state, channel=c.channel, topic=None, created_at=c.created_at,
                                outcome=None, group_name=await group_name(hub, c.group) or "")
    return PastConversation(id=c.id, state=c.state, channel=c.channel, topic=c.topic, created_at=c.created_at,
                            outcome=c.outcome)


async def load_context(hub: Hub, customer: Customer) -> ContextView:
    """The CRM's profile, loyalty card, recent purchases and orders; an empty view naming why otherwise."""
    try:
        ref = CustomerRef.of(customer)
        profile, purchases, orders = await asyncio.gather(
            hub.context.profile(ref), hub.context.purchases(ref, limit=CONTEXT_ITEMS),
            hub.context.orders(ref, limit=CONTEXT_ITEMS))
    except NotFound:
        return ContextView(available=False, reason="not_found")
    except Unavailable:
        return ContextView(available=False, reason="unavailable")
    card = profile.loyalty_card
    return ContextView(
        available=True, crm_name=profile.name, city=profile.city,
        loyalty_number=card.number if card else None, loyalty_tier=card.tier if card else None,
        loyalty_points=card.points if card else None,
        purchases=[_purchase(p) for p in purchases], orders=[_order(o) for o in orders],
    )


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f} ₽".replace(",", " ")


def _purchase(purchase: Purchase) -> str:
    return f"{purchase.at:%d.%m.%Y} · {purchase.store.number} · {_money(purchase.total)}"


def _order(order: Order) -> str:
    return f"№{order.number} · {order.status.value} · {_money(order.total)}"


def _text(value: object) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
