"""offer_campaign: the best campaign offer for this shopper at a named moment of the flow, or nothing.

The flow names the moment (`complaint_resolved` after it settled a complaint, `order_status` after it told where
an order is, `praise` after the shopper's thanks) and says `{offer.text}` when `offer.offered` is true. The
decision, caps, control group and code are hub/campaigns'; a redelivered turn finds the turn it reserved and
says the same offer again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bots.actions.base import ActionContext, Result, failed, slot_text
from hub import campaigns
from models.campaigns import Moment
from models.errors import Unavailable

BOT_MOMENTS = frozenset({Moment.COMPLAINT_RESOLVED, Moment.ORDER_STATUS, Moment.PRAISE})


async def offer_campaign(ctx: ActionContext, slots: Mapping[str, Any]) -> Result:
    """`{"ok": True, "offered": True, "text", "code"}` with an offer; `offered: False` and the reason without."""
    named = slot_text(slots, "moment") or ""
    moment = next((m for m in BOT_MOMENTS if m.value == named), None)
    if moment is None:
        return failed("unknown_moment", offered=False)
    try:
        contact = await campaigns.contact_for(
            ctx.hub, ctx.customer, moment=moment, channel=ctx.conversation.channel, now=ctx.now,
            conversation_id=ctx.conversation.id, language=ctx.language, topic=ctx.conversation.topic,
            complaint_resolved=moment is Moment.COMPLAINT_RESOLVED)
        made = await campaigns.offer_in_conversation(ctx.hub, ctx.customer, contact, ctx.now)
    except Unavailable:
        return failed("unavailable", offered=False)
    if not made.offered or made.record is None:
        return {"ok": True, "offered": False, "reason": made.reason}
    return {"ok": True, "offered": True, "text": made.text, "code": made.record.code,
            "campaign": made.record.campaign_id}
