"""Campaigns, contacts and facts for the decision's tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from models.campaigns import Campaign, Contact, Moment, Offer, OfferSource, Policy
from models.channels import Channel

# Monday 7 December 2026, 15:00 in Moscow
MONDAY_AFTERNOON = datetime(2026, 12, 7, 12, tzinfo=UTC)
POLICY = Policy(weekly_limit=2, timezone="Europe/Moscow")
OFFER = Offer(source=OfferSource.POOL, text={"ru": "Код {code}", "en": "Code {code}"})


def campaign(cid: str = "goodwill", **changes: Any) -> Campaign:
    """A running campaign at complaint_resolved with no control group unless changed."""
    values: dict[str, Any] = {"id": cid, "name": cid, "placements": [Moment.COMPLAINT_RESOLVED], "offer": OFFER,
                              "control_share": 0.0, **changes}
    return Campaign.model_validate(values)


def contact(**changes: Any) -> Contact:
    """A Telegram contact just after a resolved complaint."""
    values: dict[str, Any] = {"customer_id": "cust-1", "moment": Moment.COMPLAINT_RESOLVED,
                              "channel": Channel.TELEGRAM, "complaint_resolved": True, **changes}
    return Contact.model_validate(values)
