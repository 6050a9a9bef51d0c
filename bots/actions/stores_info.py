"""store_hours, nearest_store, find_store: the chain's shops from the retail-store directory (hub.stores.directory)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bots.actions.base import ActionContext, Result, failed, slot_text
from models.errors import NotFound, Unavailable
from models.retail_stores import RetailStore

PAGE = 1000
SHOWN = 3  # stores listed in one answer: more does not fit a phone screen
_NUMBER = re.compile(r"\d{1,6}")


async def store_hours(ctx: ActionContext, slots: Mapping[str, Any]) -> Result:
    """Opening hours, address and phone of store `store_id`."""
    number = slot_text(slots, "store_id")
    if number is None:
        return failed("ask_store")
    try:
        store = await ctx.hub.stores.directory.get_store(_store_number(number))
    except NotFound:
        return failed("not_found", store_id=number)
    except Unavailable:
        return failed("unavailable", store_id=number)
    if not store.active:
        return failed("closed", store_id=number)
    return {"ok": True, **card(store, ctx)}


async def nearest_store(ctx: ActionContext, slots: Mapping[str, Any]) -> Result:
    """Up to three open stores in the shopper's city (slot `city`, else the customer's `city` attribute)."""
    city = slot_text(slots, "city") or slot_text(ctx.customer.attributes, "city")
    if city is None:
        return failed("ask_city")
    try:
        found = await _in_city(ctx, city)
    except Unavailable:
        return failed("unavailable", city=city)
    if not found:
        return failed("not_found", city=city)
    lines = [f"№{c['store_id']} {c['address']}, {c['hours']}" for c in (card(s, ctx) for s in found)]
    return {"ok": True, "city": city, "count": len(found), "stores": "\n".join(lines), **card(found[0], ctx)}


async def _in_city(ctx: ActionContext, city: str) -> list[RetailStore]:
    """Active stores whose city matches, by store number; pages through the directory once."""
    wanted, after = city.casefold(), None
    found: list[RetailStore] = []
    directory = ctx.hub.stores.directory
    while len(found) < SHOWN:
        page = await directory.list_stores(limit=PAGE, after=after)
        found += [s for s in page if s.active and (s.city or "").casefold() == wanted]
        if len(page) < PAGE:
            break
        after = page[-1].id
    return found[:SHOWN]


def card(store: RetailStore, ctx: ActionContext) -> dict[str, str]:
    """What a flow may show about a store; missing fields become a polite placeholder."""
    unknown = ctx.text("уточняется", "to be confirmed")
    return {
        "store_id": store.id, "store_name": store.name, "city": store.city or "",
        "address": store.address or unknown, "hours": store.opening_hours or unknown,
        "phone": store.phone or unknown,
    }


async def find_store(ctx: ActionContext, slots: Mapping[str, Any]) -> Result:
    """A store by `place` as typed ("118", "магазин №118", else a city); without one, by the store number or
    city in the message being answered, else by the `store_id` / `city` slot given earlier; else "ask_store"."""
    place = slot_text(slots, "place")
    if place is None:
        if (number := ctx.entity("store_id") or slot_text(ctx.slots, "store_id")) is not None:
            return await store_hours(ctx, {"store_id": number})
        if (city := ctx.entity("city") or slot_text(ctx.slots, "city")) is not None:
            return await nearest_store(ctx, {"city": city})
        return failed("ask_store")
    if _NUMBER.search(place):
        return await store_hours(ctx, {"store_id": place})
    return await nearest_store(ctx, {"city": place.strip(" .!")})


def _store_number(text: str) -> str:
    """The store number in "118", "№118" or "магазин 118"; the text itself when it has no digits."""
    found = _NUMBER.search(text)
    return found.group() if found else text.strip()
