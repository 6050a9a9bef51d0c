"""The decision at contact time: one pure function from what is known now to the best offer or none, with why.

No I/O, no clock: the caller passes the campaigns, the counters' snapshot and `now`. The snapshot may be stale
by the time an offer is reserved; hub/campaigns/issue.py reserves under the caps atomically and takes the
store's word over this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from hub.campaigns.audience import misses
from hub.campaigns.control import in_control
from models.campaigns import Campaign, Contact, Counters, CustomerFacts, Decision, Moment, Policy
from models.channels import Channel


def decide(contact: Contact, facts: CustomerFacts, campaigns: Sequence[Campaign], counters: Counters,
           now: datetime, policy: Policy) -> Decision:
    """The best eligible campaign for this contact (highest priority, then lowest id), an offer or a holdout."""
    blocked = _blocked(contact, counters, now, policy)
    if blocked is not None:
        return Decision(reason=blocked)
    local = _local(now, policy)
    skipped: dict[str, str] = {}
    best: Campaign | None = None
    for campaign in campaigns:
        why = _ineligible(campaign, contact, facts, counters, now, local)
        if why is not None:
            skipped[campaign.id] = why
        elif best is None or (campaign.priority, best.id) > (best.priority, campaign.id):
            if best is not None:
                skipped[best.id] = "outranked"
            best = campaign
        else:
            skipped[campaign.id] = "outranked"
    if best is None:
        return Decision(reason="no_campaign", skipped=skipped)
    # Held back by the CRM's id when known: the chain's one id for the shopper, the one its purchase reports
    # name, and it survives Otklik merging two of its customers into one.
    if in_control(facts.crm_id or contact.customer_id, best.id, best.control_share):
        return Decision(campaign_id=best.id, control=True, reason="control_group", skipped=skipped)
    return Decision(campaign_id=best.id, reason="offer", skipped=skipped)


def _local(now: datetime, policy: Policy) -> datetime:
    return now.astimezone(ZoneInfo(policy.timezone))


def _blocked(contact: Contact, counters: Counters, now: datetime, policy: Policy) -> str | None:
    """Why no campaign at all may make an offer now."""
    if not contact.marketing_allowed:
        return "no_marketing"
    if counters.customer_week >= policy.weekly_limit:
        return "weekly_limit"
    # A shopper who writes at night gets an answer, and an offer in it is no intrusion; a message out of the
    # blue is, so quiet hours hold back proactive offers only.
    quiet = policy.quiet_hours
    if contact.moment is Moment.PROACTIVE and quiet is not None and quiet.holds(_local(now, policy).hour):
        return "quiet_hours"
    return None


def _ineligible(campaign: Campaign, contact: Contact, facts: CustomerFacts, counters: Counters,
                now: datetime, local: datetime) -> str | None:
    """Why this campaign cannot make this offer (None: it can)."""
    if not campaign.runs_at(now):
        return "not_running"
    if contact.moment not in campaign.placements:
        return "placement"
    if campaign.id in counters.customer_campaigns:
        return "once_per_customer"
    if campaign.budget is not None and counters.made.get(campaign.id, 0) >= campaign.budget:
        return "budget"
    if contact.channel is Channel.WHATSAPP and not contact.session_open and not campaign.offer.whatsapp_template:
        return "whatsapp_template"
    missed = misses(campaign.audience, contact, facts, local)
    return None if missed is None else f"audience:{missed}"
