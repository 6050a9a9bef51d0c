"""loyalty_balance: the shopper's loyalty card points and tier from the CRM."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bots.actions.base import ActionContext, Result, failed
from bots.actions.verification import proven_customer, unverified
from models.context import CustomerRef
from models.errors import NotFound, Unavailable


async def loyalty_balance(ctx: ActionContext, slots: Mapping[str, Any]) -> Result:
    """Points and tier of the card on the shopper's own CRM profile (never a card number they type); only for
    a proven shopper, else `unverified`."""
    customer = await proven_customer(ctx)
    if customer is None:
        return unverified(ctx)
    try:
        profile = await ctx.hub.context.profile(CustomerRef.of(customer))
    except NotFound:
        return failed("unknown_customer")
    except Unavailable:
        return failed("unavailable")
    card = profile.loyalty_card
    if card is None:
        return failed("no_card")
    return {"ok": True, "points": card.points, "tier": card.tier, "card_tail": card.number[-4:]}
