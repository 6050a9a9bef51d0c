"""Identity claims and one-time codes on MongoDB: `claims` (`_id` = claimer|identity) and `challenges`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument

from hub.stores.mongo.db import Doc, MongoDatabase, dump_model, load_model
from models.claims import Challenge, Claim, ClaimStatus
from models.ids import CustomerId

CLAIMS, CHALLENGES = "claims", "challenges"


def _load_claim(doc: Doc) -> Claim:
    doc.pop("_id")
    return Claim.model_validate(doc)


class MongoClaimStore:
    """ClaimStore on MongoDB."""

    def __init__(self, db: MongoDatabase) -> None:
        self.db = db

    async def open(self) -> None:
        """Create the indexes (idempotent)."""
        await self.db.collection(CLAIMS).create_indexes(
            [IndexModel([("customer_id", ASCENDING), ("last_at", DESCENDING)], name="claims_customer")])
        await self.db.collection(CHALLENGES).create_indexes([
            IndexModel([("customer_id", ASCENDING), ("created_at", DESCENDING)], name="challenges_customer"),
            IndexModel([("identity_key", ASCENDING), ("created_at", DESCENDING)], name="challenges_identity"),
        ])

    async def note(self, claim: Claim) -> Claim:
        """Upsert: a new claim whole, a known one only its `last_at` (the later) and conversation."""
        fresh = claim.model_dump(mode="python")
        moved: dict[str, Any] = {"last_at": {"$max": ["$last_at", claim.last_at]}}
        if claim.conversation_id is not None:
            moved["conversation_id"] = claim.conversation_id
        doc = await self.db.collection(CLAIMS).find_one_and_update(
            {"_id": claim.key},
            [{"$set": {k: {"$ifNull": [f"${k}", {"$literal": v}]} for k, v in fresh.items()}}, {"$set": moved}],
            upsert=True, return_document=ReturnDocument.AFTER)
        assert doc is not None  # an upsert returning the document after always finds one
        return _load_claim(doc)

    async def of_customer(self, customer_id: CustomerId) -> list[Claim]:
        """Newest first."""
        cursor = self.db.collection(CLAIMS).find({"customer_id": customer_id}).sort("last_at", DESCENDING)
        return [_load_claim(d) async for d in cursor]

    async def decide(self, customer_id: CustomerId, identity_key: str, status: ClaimStatus, *, by: str,
                     at: datetime) -> Claim | None:
        """Set status, decided_by and decided_at."""
        doc = await self.db.collection(CLAIMS).find_one_and_update(
            {"_id": f"{customer_id}|{identity_key}"},
            {"$set": {"status": status.value, "decided_by": by, "decided_at": at}},
            return_document=ReturnDocument.AFTER)
        return None if doc is None else _load_claim(doc)

    async def add_challenge(self, challenge: Challenge) -> None:
        """Insert."""
        await self.db.collection(CHALLENGES).insert_one(dump_model(challenge, identity_key=challenge.identity.key))

    async def latest_challenge(self, customer_id: CustomerId) -> Challenge | None:
        """The newest by creation time."""
        doc = await self.db.collection(CHALLENGES).find_one({"customer_id": customer_id},
                                                            sort=[("created_at", DESCENDING)])
        return None if doc is None else load_model(Challenge, doc)

    async def count_challenges(self, *, since: datetime, customer_id: CustomerId | None = None,
                               identity_key: str | None = None) -> int:
        """Codes created since `since` matching every filter given."""
        query: Doc = {"created_at": {"$gte": since}}
        if customer_id is not None:
            query["customer_id"] = customer_id
        if identity_key is not None:
            query["identity_key"] = identity_key
        return await self.db.collection(CHALLENGES).count_documents(query)

    async def count_attempt(self, challenge_id: str) -> int:
        """$inc in place; the new count."""
        doc = await self.db.collection(CHALLENGES).find_one_and_update(
            {"_id": challenge_id}, {"$inc": {"attempts": 1}}, return_document=ReturnDocument.AFTER)
        return 0 if doc is None else int(doc["attempts"])

    async def use(self, challenge_id: str, *, at: datetime) -> bool:
        """Set used_at where it is still null."""
        result = await self.db.collection(CHALLENGES).update_one({"_id": challenge_id, "used_at": None},
                                                                 {"$set": {"used_at": at}})
        return result.modified_count == 1
