"""Attaching a code to an offer, once: from the campaign's pool (the offer's code, else the next free one) or
from the CRM through the context port with the offer's id as the idempotency key. Either way a retry gets the
code the first attempt got."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.ports import CampaignsRuntime
from models.campaigns import Campaign, OfferRecord, OfferSource
from models.context import CustomerRef, PromoCodeRequest
from models.customers import Customer
from models.errors import Conflict, NotFound, Unavailable

if TYPE_CHECKING:
    from hub.core import Hub

ATTEMPTS = 3


def idempotency_key(record: OfferRecord) -> str:
    """The CRM's key for this offer's code: one offer, one code, however often it is asked."""
    return f"campaign:{record.id}"


async def attach_code(hub: Hub, campaign: Campaign, customer: Customer, record: OfferRecord) -> OfferRecord:
    """The record with its code (saved); without one when the pool is empty or the CRM cannot issue now."""
    if record.code is not None:
        return record
    rt: CampaignsRuntime | None = hub.campaigns
    assert rt is not None  # the caller read the campaign from it
    code = await _code(hub, rt, campaign, customer, record)
    if code is None:
        return record
    for _ in range(ATTEMPTS):
        record.code = code
        try:
            await rt.store.save_offer(record, expected_version=record.version)
            return record
        except Conflict:  # a racer saved the record: take its code if it has one
            fresh = await rt.store.get_offer(record.id)
            assert fresh is not None  # turns are never deleted
            if fresh.code is not None:
                return fresh
            record = fresh
    raise Conflict(f"offer {record.id} kept changing; try again")


async def _code(hub: Hub, rt: CampaignsRuntime, campaign: Campaign, customer: Customer,
                record: OfferRecord) -> str | None:
    if campaign.offer.source is OfferSource.POOL:
        return await rt.store.take_code(campaign.id, record.id)
    try:
        issued = await hub.context.send_promo_code(PromoCodeRequest(
            customer=CustomerRef.of(customer), reason=campaign.offer.crm_reason,
            idempotency_key=idempotency_key(record)))
    except (NotFound, Unavailable, Conflict):
        return None  # the turn keeps no code for now; sending it (sending.py) asks again with the same key
    return issued.code
