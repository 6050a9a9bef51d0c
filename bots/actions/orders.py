"""order_status: where the shopper's delivery order is, only ever for the shopper's own order."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bots.actions.base import ActionContext, Result, failed, slot_text
from bots.actions.verification import proven_customer, unverified
from models.context import CustomerRef, Order, OrderFilter, OrderStatus
from models.errors import NotFound, Unavailable

SHOP_TZ = ZoneInfo("Europe/Moscow")  # slots and ETAs are told in the chain's time
STATUS_TEXT: dict[OrderStatus, tuple[str, str]] = {
    OrderStatus.CREATED: ("оформлен и ждёт сборки", "placed and waiting to be assembled"),
    OrderStatus.ASSEMBLING: ("собирается в магазине", "being assembled in the store"),
    OrderStatus.IN_DELIVERY: ("в пути, курьер везёт его вам", "on its way with the courier"),
    OrderStatus.DELIVERED: ("доставлен", "delivered"),
    OrderStatus.CANCELLED: ("отменён", "cancelled"),
}


async def order_status(ctx: ActionContext, slots: Mapping[str, Any]) -> Result:
    """The status of the order named in the message being answered, else of `order_id` (a number remembered
    from earlier in the conversation), else of the shopper's one active order; only for a proven shopper."""
    customer = await proven_customer(ctx)
    if customer is None:
        return unverified(ctx) | {"order_id": ctx.entity("order_id") or slot_text(slots, "order_id") or ""}
    provider, ref = ctx.hub.context, CustomerRef.of(customer)
    number = ctx.entity("order_id") or slot_text(slots, "order_id")
    try:
        profile = await provider.profile(ref)
        if number is None:
            return await _only_active(ctx, ref)
        order = await provider.order(number)
    except NotFound:  # an unknown shopper or order: never say which, it would tell strangers what exists
        return failed("not_found", order_id=number or "")
    except Unavailable:
        return failed("unavailable", order_id=number or "")
    if order.customer_id != profile.id:  # someone else's order: answer exactly as for an unknown number
        return failed("not_found", order_id=number)
    return describe(order, ctx)


async def _only_active(ctx: ActionContext, ref: CustomerRef) -> Result:
    """With no number given: the shopper's active order if there is exactly one."""
    active = await ctx.hub.context.orders(ref, status=OrderFilter.ACTIVE, limit=5)
    if len(active) != 1:
        return failed("ask_number", active_count=len(active), order_id="")
    return describe(active[0], ctx)


def describe(order: Order, ctx: ActionContext) -> Result:
    """The values a flow may show about an order, texts in the shopper's language."""
    ru, en = STATUS_TEXT[order.status]
    start, end = order.slot.start.astimezone(SHOP_TZ), order.slot.end.astimezone(SHOP_TZ)
    return {
        "ok": True, "order_id": order.number, "status": order.status.value, "status_text": ctx.text(ru, en),
        "active": order.status.active, "late": order.is_late(ctx.now),
        "slot": f"{start:%d.%m} {start:%H:%M}–{end:%H:%M}", "eta": _clock(order.eta),
        "address": order.address, "courier": order.courier.name if order.courier else "",
        "total": f"{order.total:.2f}",
    }


def _clock(at: datetime | None) -> str:
    return "" if at is None else f"{at.astimezone(SHOP_TZ):%H:%M}"
