"""issue_promo_code: one real promo code per conversation, issued by the CRM and kept by us."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bots.actions.base import ActionContext, Result, failed, slot_text
from bots.actions.verification import proven_customer, unverified
from models.context import CustomerRef, PromoCode, PromoCodeRequest
from models.errors import Conflict, NotFound, Unavailable

KIND = "promo"


async def issue_promo_code(ctx: ActionContext, slots: Mapping[str, Any]) -> Result:
    """The conversation's promo code: the one kept, else a new one from the CRM (keyed on the conversation);
    only for a proven shopper."""
    customer = await proven_customer(ctx)
    if customer is None:
        return unverified(ctx)
    store = ctx.hub.stores.dialog_states
    kept = await store.kept_code(ctx.conversation.id, KIND)
    if kept is None:
        try:
            issued = await ctx.hub.context.send_promo_code(PromoCodeRequest(
                customer=CustomerRef.of(customer), reason=slot_text(slots, "reason") or "bot_goodwill",
                order_number=slot_text(slots, "order_id"), idempotency_key=f"bot:promo:{ctx.conversation.id}",
            ))
        except NotFound:
            return failed("unknown_customer")
        except (Unavailable, Conflict):
            return failed("unavailable")
        # Kept whole (code and terms): the shopper asking again gets the same code even if the CRM forgot
        # its keys (the demo provider keeps them in memory only); two racing turns keep the first.
        kept = await store.remember_code(ctx.conversation.id, KIND, issued.model_dump_json())
    promo = PromoCode.model_validate_json(kept)
    return {"ok": True, "code": promo.code, "terms": promo.terms, "valid_until": f"{promo.valid_until:%d.%m.%Y}"}
