"""Proving who the shopper is before the bot reads their personal data, and the gate that asks for it.

`proven_customer` is the gate every action reading the CRM goes through: the customer (followed through a
merge a verification made this turn) when a channel or a code proved them, else None, and the action
answers `unverified()`. The flows then offer a one-time code (`dialogs/flows/verify.yml`):
`start_verification` sends it to the owner of the claimed phone or e-mail through *their* proven channel,
`check_verification` checks what the shopper typed back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bots.actions.base import ActionContext, Result, failed, slot_text
from hub import outbound
from hub.customers import claims, profiles, verification
from models.customers import Customer, Identity, IdentityKind, normalize_phone

PHONE_KIND, EMAIL_KIND = IdentityKind.PHONE, IdentityKind.EMAIL


async def proven_customer(ctx: ActionContext) -> Customer | None:
    """The shopper as they are now, if proven to be someone whose personal data we may tell them."""
    customer = await profiles.current(ctx.hub, ctx.customer.id)
    return customer if claims.proven_for_personal_data(customer) else None


def unverified(ctx: ActionContext) -> Result:
    """The gate's "no": the flow offers verification and comes back to `then` (the calling flow)."""
    return failed("unverified", then=ctx.flow)


def contact_identity(text: str) -> Identity | None:
    """A phone number or e-mail address the shopper typed, as an identity; None if it is neither."""
    value = text.strip()
    if "@" in value:
        local, _, domain = value.partition("@")
        return Identity(kind=EMAIL_KIND, value=value) if local and "." in domain and " " not in value else None
    try:
        return Identity(kind=PHONE_KIND, value=normalize_phone(value))
    except ValueError:
        return None


async def start_verification(ctx: ActionContext, slots: Mapping[str, Any]) -> Result:
    """Send a one-time code for `contact` (typed now), else for the shopper's latest claim."""
    typed = slot_text(slots, "contact")
    if typed is not None:
        identity = contact_identity(typed)
        if identity is None:
            return failed("invalid_contact")
    else:
        pending = await claims.pending(ctx.hub, ctx.customer.id)
        if pending is None:
            return failed("no_claim")
        identity = pending.identity
    outcome = await outbound.send_code(
        ctx.hub, ctx.customer, identity, channel=ctx.conversation.channel, now=ctx.now, language=ctx.language,
        conversation_id=ctx.conversation.id)
    if not outcome.ok:
        return failed(outcome.reason)
    return {"ok": True, "sent_to": outcome.sent_to, "already": outcome.reason == "already_verified"}


async def check_verification(ctx: ActionContext, slots: Mapping[str, Any]) -> Result:
    """Check the code the shopper typed; a right one makes their claim a proven identity."""
    code = slot_text(slots, "code")
    if code is None:
        return failed("wrong_code")
    outcome = await verification.check_code(ctx.hub, ctx.customer, code, now=ctx.now,
                                            conversation_id=ctx.conversation.id)
    return {"ok": True} if outcome.ok else failed(outcome.reason)


async def verification_pending(ctx: ActionContext, slots: Mapping[str, Any]) -> Result:
    """Whether a code is waiting to be typed (and where it went), whether the shopper is proven already, and
    the flow to go back to (slot `verify_then`, saved by the flow that asked for verification)."""
    then = slot_text(ctx.slots, "verify_then") or ""
    if await proven_customer(ctx) is not None:
        return {"ok": True, "already": True, "sent_to": "", "then": then}
    waiting = await verification.waiting(ctx.hub, ctx.customer, now=ctx.now)
    if waiting is None:
        return failed("no_code", already=False, sent_to="", then=then)
    return {"ok": True, "already": False, "sent_to": waiting.sent_to, "then": then}
