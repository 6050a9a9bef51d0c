"""The demo campaign (api/demo/campaigns/goodwill.yml) with two weeks of history behind it, so its page shows
uplift against the control group from the first look.

400 earlier contacts of generated shoppers ("demo-shopper-N": turns in the campaign only, no conversations),
spread over segments, channels and the last 14 days. Each is held back or offered by the campaign's own control
rule; offered ones take a code from the pool and most were delivered; redemptions (about 26% of offers) and
control-group purchases (about 14%) are reported through the same path the CRM's `POST /api/v1/redemptions`
takes. Deterministic: the same history every time, and seeding again adds nothing.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from hub import campaigns
from models.campaigns import Campaign, Moment, OfferRecord, OfferState
from models.channels import Channel
from models.errors import Conflict

if TYPE_CHECKING:
    from hub.core import Hub

CAMPAIGN_FILE = Path(__file__).parent / "campaigns" / "goodwill.yml"
SHOPPERS = 400
TIERS = ("Серебряный", "Золотой", "Платиновый")
CHANNELS = (Channel.TELEGRAM, Channel.WHATSAPP, Channel.VIBER, Channel.WEBCHAT)
REDEEMS, CONTROL_BUYS = 0.26, 0.14  # what the history is drawn with: the page estimates the difference


def demo_campaign() -> Campaign:
    """The demo campaign as its YAML file has it."""
    [campaign] = campaigns.load_campaign_file(CAMPAIGN_FILE)
    return campaign


def codes(count: int = 1000) -> str:
    """The demo pool, as a code file."""
    return "\n".join(f"GW-DEMO-{n:04d}" for n in range(1, count + 1))


def _draw(*parts: object) -> float:
    """A fixed number in [0, 1) for these parts."""
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:8], "big") / 2**64


async def seed_campaign(hub: Hub, now: datetime) -> Campaign:
    """Create the demo campaign and its pool if missing, and its history once."""
    campaign = demo_campaign()
    try:
        await campaigns.manage.create(hub, campaign)
    except Conflict:
        return await campaigns.manage.get(hub, campaign.id)  # seeded before
    await campaigns.manage.import_codes(hub, campaign.id, codes())
    await seed_history(hub, campaign, now)
    return campaign


async def seed_history(hub: Hub, campaign: Campaign, now: datetime) -> None:
    """The campaign's two weeks of earlier contacts (its pool must hold the codes they take)."""
    for n in range(SHOPPERS):
        await _history(hub, campaign, n, now)


async def _history(hub: Hub, campaign: Campaign, n: int, now: datetime) -> None:
    """One earlier contact: a holdout or an offer, and what the shopper did after."""
    shopper, store = f"demo-shopper-{n:03d}", campaigns.runtime(hub).store
    at = now - timedelta(days=14) + timedelta(minutes=int(_draw(shopper, "at") * 13 * 24 * 60))
    control = campaigns.in_control(shopper, campaign.id, campaign.control_share)
    record = OfferRecord(
        id=OfferRecord.id_for(campaign.id, shopper), campaign_id=campaign.id, customer_id=shopper,
        moment=Moment.COMPLAINT_RESOLVED, channel=CHANNELS[int(_draw(shopper, "ch") * len(CHANNELS))],
        segment=TIERS[int(_draw(shopper, "tier") * len(TIERS))], control=control,
        week=campaigns.week_of(at, hub.settings.timezone), made_at=at,
        state=OfferState.HELD_BACK if control else OfferState.MADE)
    record = await store.record(record)
    if not control:
        record.code = await store.take_code(campaign.id, record.id)
        if _draw(shopper, "sent") < 0.95:
            record.state, record.delivered_at = OfferState.DELIVERED, at + timedelta(seconds=2)
        await store.save_offer(record, expected_version=record.version)
    if _draw(shopper, "bought") < (CONTROL_BUYS if control else REDEEMS) and (control or record.delivered_at):
        report = campaigns.RedemptionReport(
            redemption_id=f"demo:{shopper}", at=at + timedelta(days=1 + int(_draw(shopper, "when") * 6)),
            code=None if control else record.code, campaign_id=campaign.id if control else None,
            customer_id=shopper if control else None)
        await campaigns.redeem(hub, report)
