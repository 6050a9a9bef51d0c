"""record_praise: a shopper's thanks goes to the conversation as a note and to the CRM as an event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bots.actions.base import ActionContext, Result, slot_text
from hub import events
from hub.inbox import add_note


async def record_praise(ctx: ActionContext, slots: Mapping[str, Any]) -> Result:
    """Note the praise (store, staff, words) once per turn and announce `praise.recorded`."""
    store, details = slot_text(slots, "store_id"), (slot_text(slots, "details") or "").strip("-—– ")
    where = f" (магазин №{store})" if store else ""
    note, _ = await add_note(ctx.hub, ctx.conversation.id, f"Благодарность покупателя{where}: {details}".strip(),
                             actor="bot", author_name="bot", key=ctx.key("praise"))
    await events.emit(ctx.hub, "praise.recorded", ctx.turn_key, customer_id=ctx.customer.id,
                      conversation_id=ctx.conversation.id, message_id=note.id, store_id=store, text=details)
    return {"ok": True}
