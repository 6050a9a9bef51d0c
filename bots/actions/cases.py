"""create_case: a complaint the bot collected becomes a case (hub/cases) linked to the conversation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bots.actions.base import ActionContext, Result, failed, slot_text
from hub.cases import open_case
from models.cases import CaseSource
from models.errors import OtklikError

# Slots the complaint flows fill, copied into the case's fields when present (store and order have their own).
FIELDS = ("date", "product", "amount", "staff")


async def create_case(ctx: ActionContext, slots: Mapping[str, Any]) -> Result:
    """Open a case of `request_type` with the collected slots; a repeated turn or an open duplicate opens none."""
    request_type = slot_text(slots, "request_type") or "other"
    details = slot_text(slots, "details") or ""
    try:
        case, _ = await open_case(
            ctx.hub, conversation_id=ctx.conversation.id, request_type=request_type,
            description=details or request_type, store_id=slot_text(slots, "store_id"),
            order_id=slot_text(slots, "order_id"), priority=slot_text(slots, "priority") or "normal",
            fields={name: str(slots[name]) for name in FIELDS if slot_text(slots, name)},
            # Keyed on the turn: a redelivered message repeats nothing, while a later complaint of the same type
            # (another store, or after the first was solved) is its own case; open_case links true duplicates.
            actor="bot", source=CaseSource.BOT, key=f"{ctx.key('create_case')}:{request_type}",
        )
    except OtklikError as e:  # a store the chain does not have, a missing field: a person sorts it out
        return failed("rejected", detail=str(e))
    return {"ok": True, "case_id": str(case.id), "case_number": f"#{case.number}"}
