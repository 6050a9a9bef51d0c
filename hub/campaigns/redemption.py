"""Redemptions the CRM reports: a code used at the till or online, matched to the offer it was given with; or a
purchase by a held-back customer of the control group, matched to their turn, which is what uplift compares.

Idempotent on the CRM's redemption id: the same report again changes nothing and answers as the first did;
another redemption of an offer already redeemed is a Conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from hub import events
from hub.campaigns.offering import runtime
from models.campaigns import OfferRecord, OfferState
from models.errors import Conflict, NotFound, PayloadError

if TYPE_CHECKING:
    from hub.core import Hub


@dataclass(frozen=True)
class RedemptionReport:
    """What the CRM says happened."""

    redemption_id: str
    at: datetime
    code: str | None = None
    campaign_id: str | None = None  # with customer_id: a control-group customer's purchase
    customer_id: str | None = None
    order_total: Decimal | None = None


async def redeem(hub: Hub, report: RedemptionReport) -> tuple[OfferRecord, bool]:
    """The matched record, redeemed, and whether this report was new."""
    record = await _match(hub, report)
    if record.redeemed_at is not None:
        if record.redemption_id == report.redemption_id:
            return record, False
        raise Conflict(f"offer {record.id} was redeemed already (redemption {record.redemption_id})")
    record.redeemed_at, record.redemption_id, record.order_total = report.at, report.redemption_id, report.order_total
    if not record.control:
        record.state = OfferState.REDEEMED
    await runtime(hub).store.save_offer(record, expected_version=record.version)  # Conflict: a racing report won
    await events.emit(hub, "offer.redeemed", record.id, customer_id=record.customer_id,
                      conversation_id=record.conversation_id, offer_id=record.id, campaign_id=record.campaign_id,
                      code=record.code, control=record.control, redemption_id=report.redemption_id,
                      order_total=str(report.order_total) if report.order_total is not None else None)
    return record, True


async def _match(hub: Hub, report: RedemptionReport) -> OfferRecord:
    store = runtime(hub).store
    if report.code is not None:
        found = await store.offer_by_code(report.code)
        if found is None:
            raise NotFound(f"no offer was made with code {report.code!r}")
        return found
    if report.campaign_id is None or report.customer_id is None:
        raise PayloadError("a redemption names its code, or a campaign and a customer (control-group purchases)")
    found = await store.get_offer(OfferRecord.id_for(report.campaign_id, report.customer_id))
    if found is None:
        raise NotFound(f"customer {report.customer_id!r} had no turn in campaign {report.campaign_id!r}")
    if not found.control:
        raise PayloadError("an offered customer's redemption names the code they were given")
    return found
