"""Managing campaigns: create, change, remove, list; import a code pool from a file; load the YAML folder."""

from __future__ import annotations

import csv
import io
import re
from typing import TYPE_CHECKING

from hub.campaigns.files import load_campaign_dir
from hub.campaigns.offering import runtime
from models.campaigns import Campaign, OfferRecord
from models.errors import Conflict, NotFound, PayloadError

if TYPE_CHECKING:
    from hub.core import Hub
    from hub.ports import CampaignsRuntime

CODE = re.compile(r"^[A-Za-z0-9_-]{3,64}$")
MAX_CODES = 200_000


async def create(hub: Hub, campaign: Campaign) -> Campaign:
    """Store a new campaign; Conflict when the id is taken."""
    campaign.version = 0
    if not await runtime(hub).store.create_campaign(campaign):
        raise Conflict(f"campaign {campaign.id!r} exists; change it with PUT")
    runtime(hub).cached = None
    return campaign


async def replace(hub: Hub, campaign: Campaign, *, expected_version: int) -> Campaign:
    """Store a changed campaign (NotFound, or Conflict on a stale version)."""
    await runtime(hub).store.save_campaign(campaign, expected_version=expected_version)
    runtime(hub).cached = None
    return campaign


async def get(hub: Hub, campaign_id: str) -> Campaign:
    """The campaign, or NotFound."""
    found = await runtime(hub).store.get_campaign(campaign_id)
    if found is None:
        raise NotFound(f"no campaign {campaign_id!r}")
    return found


async def listing(hub: Hub) -> list[Campaign]:
    """Every campaign, by id."""
    return await runtime(hub).store.campaigns()


async def offers(hub: Hub, campaign_id: str) -> list[OfferRecord]:
    """The campaign's records (offers and holdouts), oldest first."""
    return await runtime(hub).store.offers(campaign_id)


async def codes_left(hub: Hub, campaign_id: str) -> int:
    """Codes of the campaign's pool nobody has been given."""
    return await runtime(hub).store.codes_left(campaign_id)


async def offers_of(hub: Hub, customer_id: str) -> list[OfferRecord]:
    """The customer's turns in every campaign, oldest first."""
    return await runtime(hub).store.offers_of(customer_id)


async def remove(hub: Hub, campaign_id: str) -> None:
    """Remove the campaign (its offers stay for the reports); NotFound when there is none."""
    if not await runtime(hub).store.delete_campaign(campaign_id):
        raise NotFound(f"no campaign {campaign_id!r}")
    runtime(hub).cached = None


def parse_codes(text: str) -> list[str]:
    """Codes from a file: one per line, or the first column of a CSV (a header row is skipped); PayloadError
    naming the line of a code that cannot be one."""
    codes: list[str] = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        value = row[0].strip() if row else ""
        if not value or (number == 1 and value.lower() in ("code", "promo_code", "промокод")):
            continue
        if not CODE.match(value):
            raise PayloadError(f"line {number}: {value[:40]!r} is not a promo code (3-64 letters, digits, - or _)")
        codes.append(value)
    if len(codes) > MAX_CODES:
        raise PayloadError(f"at most {MAX_CODES} codes per import")
    return list(dict.fromkeys(codes))


async def import_codes(hub: Hub, campaign_id: str, text: str) -> tuple[int, int]:
    """Add a file's codes to the campaign's pool; (added, free now)."""
    await get(hub, campaign_id)
    store = runtime(hub).store
    added = await store.add_codes(campaign_id, parse_codes(text))
    return added, await store.codes_left(campaign_id)


async def load_files(rt: CampaignsRuntime, folder: str) -> list[str]:
    """Put the folder's campaigns into the store (new ones created, changed ones replaced); their ids.
    CampaignFileError (file:line) when a file is invalid: the process does not start on a broken campaign."""
    loaded = load_campaign_dir(folder)
    for campaign in loaded:
        stored = await rt.store.get_campaign(campaign.id)
        if stored is None:
            await rt.store.create_campaign(campaign)
        elif stored.model_copy(update={"version": 0}) != campaign:
            await rt.store.save_campaign(campaign, expected_version=stored.version)
    return [c.id for c in loaded]
