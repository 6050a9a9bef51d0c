"""CampaignStore on MongoDB: `campaigns`, `campaign_codes` (_id = code), `campaign_offers` (_id = offer id),
and the cap counters `campaign_budgets` (_id = campaign) and `campaign_weeks` (_id = customer:week).

Each document keeps the model as JSON in `doc` beside the fields queries use. Reserving takes three single-
document atomic steps, each refusing past its cap: claim the turn (the unique _id), spend the weekly
allowance, spend the budget; a refusal gives back what the earlier steps took. A counter is only ever
incremented under its cap, so no cap is exceeded, even by racing processes (a racer may see a turn that is
then given back and be refused: fail safe).
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from hub.stores.mongo.db import MongoDatabase
from models.campaigns import Campaign, CapLimits, Counters, OfferRecord, Reservation
from models.errors import Conflict, NotFound

Doc = dict[str, Any]


def _offer_doc(r: OfferRecord) -> Doc:
    doc: Doc = {"_id": r.id, "campaign_id": r.campaign_id, "customer_id": r.customer_id, "week": r.week,
                "control": r.control, "made_at": r.made_at, "version": r.version, "doc": r.model_dump_json()}
    if r.code is not None:  # absent, not null: the sparse unique index skips offers without a code
        doc["code"] = r.code
    return doc


class MongoCampaignStore:
    """Campaigns, code pools, offer records and cap counters in MongoDB."""

    def __init__(self, url: str, database: str | None = None) -> None:
        self.db = MongoDatabase(url, database)

    def _c(self, name: str) -> AsyncCollection[Doc]:
        return self.db.collection(name)

    async def open(self) -> None:
        """Connect and create the indexes."""
        await self.db.open()
        await self._c("campaign_codes").create_indexes([
            IndexModel([("campaign_id", ASCENDING), ("offer_id", ASCENDING)]),
            IndexModel([("offer_id", ASCENDING)], unique=True, sparse=True)])
        await self._c("campaign_offers").create_indexes([
            IndexModel([("campaign_id", ASCENDING), ("control", ASCENDING)]),
            IndexModel([("customer_id", ASCENDING), ("week", ASCENDING)]),
            IndexModel([("code", ASCENDING)], unique=True, sparse=True)])

    async def close(self) -> None:
        """Close the client."""
        await self.db.close()

    async def get_campaign(self, campaign_id: str) -> Campaign | None:
        """The campaign, or None."""
        doc = await self._c("campaigns").find_one({"_id": campaign_id})
        return None if doc is None else Campaign.model_validate_json(doc["doc"])

    async def campaigns(self) -> list[Campaign]:
        """Every campaign, by id."""
        cursor = self._c("campaigns").find({}).sort("_id", ASCENDING)
        return [Campaign.model_validate_json(d["doc"]) async for d in cursor]

    async def create_campaign(self, campaign: Campaign) -> bool:
        """Insert; False when the id is taken."""
        try:
            await self._c("campaigns").insert_one(
                {"_id": campaign.id, "version": campaign.version, "doc": campaign.model_dump_json()})
        except DuplicateKeyError:
            return False
        return True

    async def save_campaign(self, campaign: Campaign, *, expected_version: int) -> None:
        """Replace under optimistic locking."""
        saved = campaign.model_copy(update={"version": expected_version + 1})
        result = await self._c("campaigns").replace_one(
            {"_id": campaign.id, "version": expected_version},
            {"version": saved.version, "doc": saved.model_dump_json()})
        if result.matched_count == 0:
            if await self.get_campaign(campaign.id) is None:
                raise NotFound(f"no campaign {campaign.id!r}")
            raise Conflict(f"campaign {campaign.id} changed meanwhile; read it again")
        campaign.version = saved.version

    async def delete_campaign(self, campaign_id: str) -> bool:
        """Remove the campaign; its offers stay."""
        return (await self._c("campaigns").delete_one({"_id": campaign_id})).deleted_count > 0

    async def add_codes(self, campaign_id: str, codes: list[str]) -> int:
        """Add codes; how many were new."""
        added = 0
        for code in codes:
            try:
                await self._c("campaign_codes").insert_one({"_id": code, "campaign_id": campaign_id})
            except DuplicateKeyError:
                continue
            added += 1
        return added

    async def codes_left(self, campaign_id: str) -> int:
        """Free codes of the pool."""
        return await self._c("campaign_codes").count_documents(
            {"campaign_id": campaign_id, "offer_id": {"$exists": False}})

    async def take_code(self, campaign_id: str, offer_id: str) -> str | None:
        """The offer's code, else the next free one (the unique offer_id index stops a racer taking a second)."""
        codes = self._c("campaign_codes")
        held = await codes.find_one({"offer_id": offer_id})
        if held is not None:
            return str(held["_id"])
        try:
            taken = await codes.find_one_and_update(
                {"campaign_id": campaign_id, "offer_id": {"$exists": False}}, {"$set": {"offer_id": offer_id}},
                sort=[("_id", ASCENDING)])
        except DuplicateKeyError:
            taken = await codes.find_one({"offer_id": offer_id})
        return None if taken is None else str(taken["_id"])

    async def reserve(self, record: OfferRecord, limits: CapLimits) -> Reservation:
        """Claim the turn, then the weekly allowance, then the budget; give back on a refusal."""
        offers = self._c("campaign_offers")
        try:
            await offers.insert_one(_offer_doc(record))
        except DuplicateKeyError:
            stored = await self.get_offer(record.id)
            assert stored is not None  # turns are never deleted
            return Reservation(record=stored, replayed=True)
        if record.control:
            return Reservation(record=record)
        week_key = f"{record.customer_id}:{record.week}"
        if not await self._spend("campaign_weeks", week_key, limits.weekly_limit):
            await offers.delete_one({"_id": record.id})
            return Reservation(refused="weekly_limit")
        if not await self._spend("campaign_budgets", record.campaign_id, limits.budget):
            await self._c("campaign_weeks").update_one({"_id": week_key}, {"$inc": {"n": -1}})
            await offers.delete_one({"_id": record.id})
            return Reservation(refused="budget")
        return Reservation(record=record)

    async def _spend(self, collection: str, key: str, limit: int | None) -> bool:
        """Add one to the counter if it stays within `limit` (one atomic update; the upsert's duplicate key
        means the counter exists and is full); without a limit, just count."""
        if limit is not None and limit <= 0:
            return False
        query: Doc = {"_id": key} if limit is None else {"_id": key, "n": {"$lt": limit}}
        try:
            await self._c(collection).find_one_and_update(query, {"$inc": {"n": 1}}, upsert=True)
        except DuplicateKeyError:
            return False
        return True

    async def record(self, record: OfferRecord) -> OfferRecord:
        """Insert unless present (counting a new offer made); the stored record."""
        try:
            await self._c("campaign_offers").insert_one(_offer_doc(record))
        except DuplicateKeyError:
            stored = await self.get_offer(record.id)
            if stored is None:
                raise
            return stored
        if not record.control:  # caps were counted elsewhere (Redis): this count only feeds the decision's snapshot
            await self._spend("campaign_budgets", record.campaign_id, None)
        return record

    async def get_offer(self, offer_id: str) -> OfferRecord | None:
        """The record, or None."""
        doc = await self._c("campaign_offers").find_one({"_id": offer_id})
        return None if doc is None else OfferRecord.model_validate_json(doc["doc"])

    async def offer_by_code(self, code: str) -> OfferRecord | None:
        """The record holding the code, or None."""
        doc = await self._c("campaign_offers").find_one({"code": code})
        return None if doc is None else OfferRecord.model_validate_json(doc["doc"])

    async def save_offer(self, record: OfferRecord, *, expected_version: int) -> None:
        """Replace under optimistic locking."""
        saved = record.model_copy(update={"version": expected_version + 1})
        try:
            result = await self._c("campaign_offers").replace_one({"_id": record.id, "version": expected_version},
                                                                  _offer_doc(saved))
        except DuplicateKeyError as e:
            raise Conflict(f"code {record.code!r} is another offer's") from e
        if result.matched_count == 0:
            raise Conflict(f"offer {record.id} changed meanwhile; read it again")
        record.version = saved.version

    async def offers(self, campaign_id: str) -> list[OfferRecord]:
        """The campaign's records, oldest first."""
        cursor = self._c("campaign_offers").find({"campaign_id": campaign_id}).sort(
            [("made_at", ASCENDING), ("_id", ASCENDING)])
        return [OfferRecord.model_validate_json(d["doc"]) async for d in cursor]

    async def offers_of(self, customer_id: str) -> list[OfferRecord]:
        """The customer's records, oldest first."""
        cursor = self._c("campaign_offers").find({"customer_id": customer_id}).sort(
            [("made_at", ASCENDING), ("_id", ASCENDING)])
        return [OfferRecord.model_validate_json(d["doc"]) async for d in cursor]

    async def counters(self, customer_id: str, week: str) -> Counters:
        """The caps' counts now (offers made per campaign as their counters hold them)."""
        mine = [d async for d in self._c("campaign_offers").find(
            {"customer_id": customer_id}, {"campaign_id": 1, "week": 1, "control": 1})]
        made = {str(d["_id"]): int(d["n"]) async for d in self._c("campaign_budgets").find({})}
        return Counters(customer_campaigns=frozenset(str(d["campaign_id"]) for d in mine),
                        customer_week=sum(1 for d in mine if d["week"] == week and not d["control"]), made=made)
