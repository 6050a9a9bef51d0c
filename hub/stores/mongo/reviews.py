"""ReviewStore on MongoDB: collections `reviews` (_id = our review id) and `review_places`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from hub.stores.mongo.db import MongoDatabase
from models.errors import Conflict
from models.reviews import PlaceMapping, ReplyState, Review

Doc = dict[str, Any]


def _dump(review: Review) -> Doc:
    doc = review.model_dump(mode="python")
    doc["_id"] = doc.pop("id")
    doc["reply_state"] = review.reply.state.value if review.reply else None
    return doc


def _load(doc: Doc) -> Review:
    doc["id"] = doc.pop("_id")
    return Review.model_validate(doc)


class MongoReviewStore:
    """Reviews and place mappings in MongoDB."""

    def __init__(self, url: str, database: str | None = None) -> None:
        self.db = MongoDatabase(url, database)

    @property
    def _reviews(self) -> AsyncCollection[Doc]:
        return self.db.collection("reviews")

    @property
    def _places(self) -> AsyncCollection[Doc]:
        return self.db.collection("review_places")

    async def open(self) -> None:
        """Connect and create the indexes."""
        await self.db.open()
        await self._reviews.create_indexes([
            IndexModel([("created_at", DESCENDING)]),
            IndexModel([("platform", ASCENDING), ("place_id", ASCENDING)]),
            IndexModel([("reply_state", ASCENDING)]),
            IndexModel([("store_id", ASCENDING), ("created_at", DESCENDING)])])
        await self._places.create_indexes([IndexModel([("platform", ASCENDING), ("place_id", ASCENDING)], unique=True)])

    async def close(self) -> None:
        """Close the client."""
        await self.db.close()

    async def get(self, review_id: str) -> Review | None:
        """The review, or None."""
        doc = await self._reviews.find_one({"_id": review_id})
        return None if doc is None else _load(doc)

    async def create(self, review: Review) -> bool:
        """Insert; False when the id is taken."""
        try:
            await self._reviews.insert_one(_dump(review))
        except DuplicateKeyError:
            return False
        return True

    async def save(self, review: Review, *, expected_version: int) -> None:
        """Replace under optimistic locking."""
        review.version = expected_version + 1
        result = await self._reviews.replace_one({"_id": review.id, "version": expected_version}, _dump(review))
        if result.matched_count == 0:
            review.version = expected_version
            raise Conflict(f"review {review.id} changed meanwhile; read it again")

    async def find(self, *, platform: str | None = None, store_id: str | None = None, since: datetime | None = None,
                   reply_state: ReplyState | None = None, limit: int = 10_000) -> list[Review]:
        """Matching reviews, newest first."""
        query: Doc = {k: v for k, v in (("platform", platform), ("store_id", store_id),
                                        ("reply_state", reply_state.value if reply_state else None)) if v is not None}
        if since is not None:
            query["created_at"] = {"$gte": since}
        cursor = self._reviews.find(query).sort("created_at", DESCENDING).limit(limit)
        return [_load(doc) async for doc in cursor]

    async def live_ids(self, platform: str, place_id: str) -> list[str]:
        """Ids of the place's reviews not marked deleted."""
        cursor = self._reviews.find({"platform": platform, "place_id": place_id, "deleted": False}, {"_id": 1})
        return [str(doc["_id"]) async for doc in cursor]

    async def get_place(self, platform: str, place_id: str) -> PlaceMapping | None:
        """The place's mapping, or None."""
        doc = await self._places.find_one({"platform": platform, "place_id": place_id}, {"_id": 0})
        return None if doc is None else PlaceMapping.model_validate(doc)

    async def save_place(self, mapping: PlaceMapping) -> None:
        """Insert or replace."""
        await self._places.replace_one({"platform": mapping.platform, "place_id": mapping.place_id},
                                       mapping.model_dump(mode="python"), upsert=True)

    async def places(self, *, unmapped_only: bool = False) -> list[PlaceMapping]:
        """Every place seen, by platform and id."""
        query: Doc = {"store_id": None} if unmapped_only else {}
        cursor = self._places.find(query, {"_id": 0}).sort([("platform", ASCENDING), ("place_id", ASCENDING)])
        return [PlaceMapping.model_validate(doc) async for doc in cursor]
