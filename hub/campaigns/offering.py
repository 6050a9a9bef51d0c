"""Making an offer at a moment of contact: read what the decision needs, decide, reserve the turn under the caps,
attach the code and announce it.

    contact ─► facts (CRM) + counters (store) + running campaigns ─► decide (pure) ─► ledger.reserve (atomic)
            ─► code (pool, or the CRM keyed on the offer) ─► offer.made | offer.held_back

Idempotent: a customer's turn in a campaign has one id (campaign:customer), so a retried contact finds the
reservation it made, the code it was given and the event it announced, and issues nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from hub import events
from hub.campaigns.decide import decide
from hub.campaigns.facts import customer_facts, marketing_allowed, session_open
from hub.campaigns.issuing import attach_code
from hub.ports import CampaignsRuntime
from models.campaigns import (
    Campaign,
    CapLimits,
    Contact,
    CustomerFacts,
    Decision,
    Moment,
    OfferRecord,
    OfferState,
)
from models.channels import Channel
from models.customers import Customer
from models.errors import Unavailable

if TYPE_CHECKING:
    from hub.core import Hub


@dataclass(frozen=True)
class Made:
    """What came of a contact: the decision, the customer's turn if one was taken, and the offer's words."""

    decision: Decision
    record: OfferRecord | None = None
    text: str | None = None  # in the contact's language, code in place; None unless an offer with a code

    @property
    def offered(self) -> bool:
        """An offer with its code, to be shown to the shopper."""
        return self.text is not None

    @property
    def reason(self) -> str:
        """Why the contact got what it got."""
        return self.decision.reason


def runtime(hub: Hub) -> CampaignsRuntime:
    """The hub's campaigns; Unavailable when this process was built without them."""
    if hub.campaigns is None:
        raise Unavailable("campaigns are not configured in this process")
    return hub.campaigns


def week_of(now: datetime, zone: str) -> str:
    """The ISO week people in `zone` are in: the frequency cap's window."""
    year, week, _ = now.astimezone(ZoneInfo(zone)).isocalendar()
    return f"{year}-W{week:02d}"


async def contact_for(hub: Hub, customer: Customer, *, moment: Moment, channel: Channel, now: datetime,
                      conversation_id: str | None = None, language: str = "ru", topic: str | None = None,
                      complaint_resolved: bool = False, csat: int | None = None) -> Contact:
    """The contact as the decision sees it, with consent and the channel's window read from the hub."""
    return Contact(customer_id=customer.id, conversation_id=conversation_id, moment=moment, channel=channel,
                   language=language, topic=topic, complaint_resolved=complaint_resolved, csat=csat,
                   marketing_allowed=marketing_allowed(customer, channel),
                   session_open=await session_open(hub, customer, channel, now))


async def running_campaigns(hub: Hub, now: datetime) -> list[Campaign]:
    """The campaigns running at `now`, from this process's short-lived copy of the store's list."""
    rt = runtime(hub)
    if rt.cached is None or rt.clock() - rt.cached[0] > rt.cache_seconds:
        rt.cached = (rt.clock(), await rt.store.campaigns())
    return [c for c in rt.cached[1] if c.runs_at(now)]


async def best_offer(hub: Hub, customer: Customer, contact: Contact, now: datetime,
                     only: str | None = None) -> tuple[Decision, CustomerFacts]:
    """The decision for this contact, on fresh counters and the campaigns running now (or only the one named)."""
    rt = runtime(hub)
    campaigns = [c for c in await running_campaigns(hub, now) if only is None or c.id == only]
    if not campaigns:  # the common case between campaigns: no reads at all
        return Decision(reason="no_campaign"), CustomerFacts()
    counters = await rt.store.counters(customer.id, week_of(now, rt.policy.timezone))
    facts = await customer_facts(hub, customer, now)
    return decide(contact, facts, campaigns, counters, now, rt.policy), facts


async def make_offer(hub: Hub, customer: Customer, contact: Contact, now: datetime, only: str | None = None) -> Made:
    """Decide and act on it: reserve the turn (an offer or a holdout), attach the code, announce."""
    decision, facts = await best_offer(hub, customer, contact, now, only)
    if decision.campaign_id is None:
        return Made(decision)
    rt = runtime(hub)
    campaign = await rt.store.get_campaign(decision.campaign_id)
    if campaign is None:  # deleted since the list was read
        return Made(decision.model_copy(update={"campaign_id": None, "control": False, "reason": "no_campaign"}))
    record = _turn(campaign, contact, facts, decision.control, now, rt.policy.timezone)
    reserved = await rt.ledger.reserve(record, CapLimits(budget=campaign.budget, weekly_limit=rt.policy.weekly_limit))
    if reserved.record is None:  # a racer spent the cap since the snapshot
        return Made(decision.model_copy(update={"campaign_id": None, "control": False,
                                                "reason": reserved.refused or "refused"}))
    return await _act(hub, campaign, customer, reserved.record, decision)


async def offer_in_conversation(hub: Hub, customer: Customer, contact: Contact, now: datetime) -> Made:
    """make_offer, except that an offer already made in this conversation at this moment and not yet delivered is
    made again (the turn that made it crashed before its reply went out, and the message is redelivered)."""
    if not await running_campaigns(hub, now):
        return Made(Decision(reason="no_campaign"))
    if contact.conversation_id is not None:
        for record in await runtime(hub).store.offers_of(customer.id):
            if (record.conversation_id == contact.conversation_id and record.moment is contact.moment
                    and record.state is OfferState.MADE and not record.control):
                campaign = await runtime(hub).store.get_campaign(record.campaign_id)
                if campaign is not None:
                    return await _act(hub, campaign, customer, record, Decision(campaign_id=campaign.id,
                                                                               reason="offer"))
    return await make_offer(hub, customer, contact, now)


async def _act(hub: Hub, campaign: Campaign, customer: Customer, record: OfferRecord, decision: Decision) -> Made:
    if record.control:
        await _announce(hub, "offer.held_back", record)
        return Made(decision.model_copy(update={"control": True, "reason": "control_group"}), record)
    record = await attach_code(hub, campaign, customer, record)
    if record.code is None:
        return Made(decision.model_copy(update={"reason": "no_code"}), record)
    await _announce(hub, "offer.made", record)
    return Made(decision, record, campaign.offer.text_for(record.language, record.code))


def _turn(campaign: Campaign, contact: Contact, facts: CustomerFacts, control: bool, now: datetime,
          zone: str) -> OfferRecord:
    return OfferRecord(
        id=OfferRecord.id_for(campaign.id, contact.customer_id), campaign_id=campaign.id,
        customer_id=contact.customer_id, conversation_id=contact.conversation_id, moment=contact.moment,
        channel=contact.channel, language=contact.language, segment=facts.segment, control=control,
        week=week_of(now, zone), made_at=now, state=OfferState.HELD_BACK if control else OfferState.MADE)


async def _announce(hub: Hub, kind: str, record: OfferRecord) -> None:
    """An offer event, keyed on the turn: a retry publishes the same id and subscribers drop it."""
    await events.emit(hub, kind, record.id, customer_id=record.customer_id, conversation_id=record.conversation_id,
                      offer_id=record.id, campaign_id=record.campaign_id, code=record.code,
                      channel=record.channel.value, moment=record.moment.value)
