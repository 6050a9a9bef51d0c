"""Whether a campaign's audience takes this contact: CRM facts, the contact itself and the local time."""

from __future__ import annotations

from datetime import datetime

from models.campaigns import Audience, Contact, CustomerFacts


def misses(audience: Audience, contact: Contact, facts: CustomerFacts, local: datetime) -> str | None:
    """The first rule the contact fails (its name), or None when every rule holds."""
    return _contact_miss(audience, contact) or _crm_miss(audience, facts) or _time_miss(audience, local)


def _contact_miss(a: Audience, c: Contact) -> str | None:
    if a.topics and c.topic not in a.topics:
        return "topic"
    if a.channels and c.channel not in a.channels:
        return "channel"
    if a.languages and c.language not in a.languages:
        return "language"
    if a.complaint_resolved is not None and c.complaint_resolved != a.complaint_resolved:
        return "complaint_resolved"
    if (a.csat_min is not None or a.csat_max is not None) and c.csat is None:
        return "csat"
    if c.csat is not None and not (a.csat_min or 1) <= c.csat <= (a.csat_max or 5):
        return "csat"
    return None


def _crm_miss(a: Audience, f: CustomerFacts) -> str | None:
    if a.loyalty_tiers and f.loyalty_tier not in a.loyalty_tiers:
        return "loyalty_tier"
    if a.regions and f.region not in a.regions:
        return "region"
    if a.stores and not a.stores & f.stores:
        return "store"
    count = f.purchases_within(a.frequency_days)
    if (a.min_purchases is not None and count < a.min_purchases) or (
            a.max_purchases is not None and count > a.max_purchases):
        return "purchase_frequency"
    last = f.purchase_days[0] if f.purchase_days else None
    if a.bought_within_days is not None and (last is None or last > a.bought_within_days):
        return "purchase_recency"
    if a.lapsed_days is not None and last is not None and last < a.lapsed_days:
        return "purchase_recency"
    return None


def _time_miss(a: Audience, local: datetime) -> str | None:
    if a.weekdays and local.isoweekday() not in a.weekdays:
        return "weekday"
    if a.hours is not None and not a.hours.holds(local.hour):
        return "hours"
    return None
