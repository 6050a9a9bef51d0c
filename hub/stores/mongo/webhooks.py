"""Webhook subscriptions and deliveries on MongoDB.

A claim is one `find_one_and_update` whose filter says "open, due and unheld", so two dispatchers can
never both take an attempt. `seq` comes from a counter document, as messages' does. Subscriptions keep
their secret in clear (it signs every delivery); `Subscription.revealed` writes it, a plain dump would
store the mask.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from hub.stores.mongo.db import Doc, MongoDatabase, dump_model, load_model
from hub.stores.subscription_cache import SubscriptionCache
from models.errors import Conflict, NotFound
from models.webhooks import OPEN_STATUSES, Delivery, Subscription, WebhookStatus

_OPEN = [s.value for s in OPEN_STATUSES]
_COUNTER = "webhook_deliveries"

INDEXES = [
    IndexModel([("subscription_id", ASCENDING), ("event_id", ASCENDING)], name="subscription_event_unique",
               unique=True),
    IndexModel([("status", ASCENDING), ("next_attempt_at", ASCENDING)], name="status_next_attempt"),
    IndexModel([("subscription_id", ASCENDING), ("lane", ASCENDING), ("event_at", ASCENDING), ("seq", ASCENDING)],
               name="lane_order"),
    IndexModel([("seq", DESCENDING)], name="seq"),
    IndexModel([("subscription_id", ASCENDING), ("seq", DESCENDING)], name="subscription_seq"),
    IndexModel([("status", ASCENDING), ("seq", DESCENDING)], name="status_seq"),
    IndexModel([("created_at", ASCENDING)], name="created_at"),
]


def _unheld(now: datetime) -> Doc:
    return {"$or": [{"lease_until": None}, {"lease_until": {"$lte": now}}]}


def _earlier_open_in_lane() -> Doc:
    """$lookup stage: the first open delivery of the same subscription and lane that comes before this one."""
    before = {"$or": [{"$lt": ["$event_at", "$$at"]},
                      {"$and": [{"$eq": ["$event_at", "$$at"]}, {"$lt": ["$seq", "$$seq"]}]}]}
    same_lane = [{"$eq": ["$subscription_id", "$$sub"]}, {"$eq": ["$lane", "$$lane"]}, {"$in": ["$status", _OPEN]}]
    return {"$lookup": {
        "from": "webhook_deliveries",
        "let": {"sub": "$subscription_id", "lane": "$lane", "at": "$event_at", "seq": "$seq"},
        "pipeline": [{"$match": {"$expr": {"$and": [*same_lane, before]}}}, {"$limit": 1}, {"$project": {"_id": 1}}],
        "as": "earlier",
    }}


class MongoWebhookStore:
    """WebhookStore on MongoDB."""

    def __init__(self, db: MongoDatabase) -> None:
        self.db = db
        self.subscription_cache = SubscriptionCache()

    @property
    def _subscriptions(self) -> AsyncCollection[Doc]:
        return self.db.collection("webhook_subscriptions")

    @property
    def _deliveries(self) -> AsyncCollection[Doc]:
        return self.db.collection("webhook_deliveries")

    async def open(self) -> None:
        """Create the indexes and the delivery counter (so concurrent first adds never race to upsert it)."""
        await self._deliveries.create_indexes(INDEXES)
        await self.db.collection("counters").update_one({"_id": _COUNTER}, {"$setOnInsert": {"seq": 0}}, upsert=True)

    async def add_subscription(self, subscription: Subscription) -> None:
        """Insert a new subscription."""
        doc = subscription.revealed("python")
        doc["_id"] = doc.pop("id")
        try:
            with self.subscription_cache.changing():
                await self._subscriptions.insert_one(doc)
        except DuplicateKeyError as e:
            raise Conflict(f"webhook subscription {subscription.id} exists") from e

    async def get_subscription(self, subscription_id: str) -> Subscription:
        """The subscription, or NotFound."""
        doc = await self._subscriptions.find_one({"_id": subscription_id})
        if doc is None:
            raise NotFound(f"webhook subscription {subscription_id} not found")
        return load_model(Subscription, doc)

    async def list_subscriptions(self) -> list[Subscription]:
        """Every subscription, oldest first."""
        cursor = self._subscriptions.find({}).sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        return [load_model(Subscription, doc) async for doc in cursor]

    async def active_subscriptions(self) -> list[Subscription]:
        """The active subscriptions, oldest first, from the in-process cache."""
        return await self.subscription_cache.get(self._load_active)

    async def _load_active(self) -> list[Subscription]:
        return [s for s in await self.list_subscriptions() if s.active]

    async def set_active(self, subscription_id: str, active: bool) -> bool:
        """Turn a subscription on or off."""
        with self.subscription_cache.changing():
            result = await self._subscriptions.update_one({"_id": subscription_id}, {"$set": {"active": active}})
        return result.matched_count == 1

    async def remove_subscription(self, subscription_id: str) -> bool:
        """Delete a subscription; its deliveries stay in the log."""
        with self.subscription_cache.changing():
            return (await self._subscriptions.delete_one({"_id": subscription_id})).deleted_count == 1

    async def add_delivery(self, delivery: Delivery) -> bool:
        """Insert with the next seq; False if (subscription, event) or the id is taken."""
        counter = await self.db.collection("counters").find_one_and_update(
            {"_id": _COUNTER}, {"$inc": {"seq": 1}}, upsert=True, return_document=ReturnDocument.AFTER)
        assert counter is not None  # upsert with AFTER always returns the document
        try:
            await self._deliveries.insert_one(dump_model(delivery.model_copy(update={"seq": int(counter["seq"])})))
        except DuplicateKeyError:
            return False  # the seq taken is skipped; gaps are harmless
        return True

    async def get_delivery(self, delivery_id: str) -> Delivery:
        """The delivery, or NotFound."""
        doc = await self._deliveries.find_one({"_id": delivery_id})
        if doc is None:
            raise NotFound(f"webhook delivery {delivery_id} not found")
        return load_model(Delivery, doc)

    async def list_deliveries(
        self, *, status: WebhookStatus | None = None, subscription_id: str | None = None,
        before_seq: int | None = None, since: datetime | None = None, until: datetime | None = None,
        limit: int = 50,
    ) -> list[Delivery]:
        """Newest first, every given filter applied."""
        query: Doc = {}
        if status is not None:
            query["status"] = status.value
        if subscription_id is not None:
            query["subscription_id"] = subscription_id
        if before_seq is not None:
            query["seq"] = {"$lt": before_seq}
        created = {op: at for op, at in (("$gte", since), ("$lt", until)) if at is not None}
        if created:
            query["created_at"] = created
        cursor = self._deliveries.find(query).sort("seq", DESCENDING).limit(limit)
        return [load_model(Delivery, doc) async for doc in cursor]

    async def due(self, now: datetime, *, limit: int) -> list[Delivery]:
        """Due, unheld heads of their lanes, the longest waiting first."""
        pipeline: list[Doc] = [
            {"$match": {"status": {"$in": _OPEN}, "next_attempt_at": {"$lte": now}, **_unheld(now)}},
            {"$sort": {"next_attempt_at": 1, "seq": 1}},
            _earlier_open_in_lane(),
            {"$match": {"earlier": {"$size": 0}}},
            {"$limit": limit},
            {"$project": {"earlier": 0}},
        ]
        cursor = await self._deliveries.aggregate(pipeline)
        return [load_model(Delivery, doc) async for doc in cursor]

    async def claim(self, delivery_id: str, *, owner: str, now: datetime, until: datetime) -> Delivery | None:
        """Take the delivery if it is open, due and unheld."""
        doc = await self._deliveries.find_one_and_update(
            {"_id": delivery_id, "status": {"$in": _OPEN}, "next_attempt_at": {"$lte": now}, **_unheld(now)},
            {"$set": {"lease_owner": owner, "lease_until": until}, "$inc": {"attempts": 1, "budget_attempts": 1}},
            return_document=ReturnDocument.AFTER)
        return None if doc is None else load_model(Delivery, doc)

    async def settle(self, delivery: Delivery, *, owner: str) -> bool:
        """Write back the attempt's outcome if `owner` still holds the delivery."""
        result = await self._deliveries.replace_one({"_id": delivery.id, "lease_owner": owner}, dump_model(delivery))
        return result.matched_count == 1

    async def replay(self, delivery_id: str, *, now: datetime) -> Delivery | None:
        """Due now with a fresh budget, unless someone is sending it."""
        current = await self.get_delivery(delivery_id)
        if current.is_open and current.lease_until is not None and current.lease_until > now:
            return None
        replayed = current.replayed(now)
        unchanged: dict[str, Any] = {"_id": delivery_id, "attempts": current.attempts, "status": current.status.value,
                                     "replays": current.replays}
        result = await self._deliveries.replace_one(unchanged, dump_model(replayed))
        return replayed if result.matched_count == 1 else None  # a dispatcher took it meanwhile
