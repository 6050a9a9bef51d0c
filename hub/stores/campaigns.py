"""The campaign store's port (hub/campaigns/): campaigns, their code pools, and each customer's turn in each
campaign (an offer made or held back), reserved under the caps atomically.

Adapters: hub/stores/sqlite/campaigns.py, hub/stores/mongo/campaigns.py; with the Redis bus the caps are kept
in Redis (hub/stores/redis_caps.py), which records through `record` here.
"""

from __future__ import annotations

from typing import Protocol

from models.campaigns import Campaign, CapLimits, Counters, OfferRecord, Reservation


class CapLedger(Protocol):
    """Where the caps are counted: reserving checks every cap and takes the turn in one atomic step."""

    async def reserve(self, record: OfferRecord, limits: CapLimits) -> Reservation:
        """Take the customer's turn in the campaign unless a cap refuses; a held-back record (control) takes
        the turn but spends neither budget nor the weekly allowance. The same record id again: the first."""
        ...


class CampaignStore(CapLedger, Protocol):
    """Campaigns by id, code pools, offer records by id (campaign:customer), by code and by customer."""

    async def open(self) -> None:
        """Connect and create tables or indexes."""

    async def close(self) -> None:
        """Release the connection."""

    async def get_campaign(self, campaign_id: str) -> Campaign | None:
        """The campaign, or None."""

    async def campaigns(self) -> list[Campaign]:
        """Every campaign, by id."""

    async def create_campaign(self, campaign: Campaign) -> bool:
        """Insert; False when the id is taken."""

    async def save_campaign(self, campaign: Campaign, *, expected_version: int) -> None:
        """Replace and bump the version; NotFound if absent, Conflict if someone saved it since."""

    async def delete_campaign(self, campaign_id: str) -> bool:
        """Remove the campaign (its offers stay, for the reports); False when there was none."""

    async def add_codes(self, campaign_id: str, codes: list[str]) -> int:
        """Add codes to the campaign's pool; how many were new (a code is in one pool only)."""

    async def codes_left(self, campaign_id: str) -> int:
        """Codes of the pool nobody has been given."""

    async def take_code(self, campaign_id: str, offer_id: str) -> str | None:
        """The pool's code for this offer: the one it already has, else a free one; None when the pool is empty."""

    async def record(self, record: OfferRecord) -> OfferRecord:
        """Insert the record unless one with its id exists; the stored one."""

    async def get_offer(self, offer_id: str) -> OfferRecord | None:
        """The record, or None."""

    async def offer_by_code(self, code: str) -> OfferRecord | None:
        """The record the code was given with, or None."""

    async def save_offer(self, record: OfferRecord, *, expected_version: int) -> None:
        """Replace and bump the version; Conflict if someone saved it since."""

    async def offers(self, campaign_id: str) -> list[OfferRecord]:
        """The campaign's records, oldest first."""

    async def offers_of(self, customer_id: str) -> list[OfferRecord]:
        """The customer's records, oldest first."""

    async def counters(self, customer_id: str, week: str) -> Counters:
        """The caps' counts now: the customer's campaigns, their offers this week, every campaign's offers made."""
