"""The inbox's queries on MongoDB.

Conversations are the core collection's documents (fields at top level); this adapter adds indexes for
the queue, loads, SLA and follow-up scans. Priority is a string, so the queue is read one priority at a
time (urgent first), each an index range ordered by queue time. Routes, round-robin marks and canned
responses have collections of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from hub.stores.inbox import PRIORITY_RANK, QueueStat
from hub.stores.mongo.db import Doc, MongoDatabase, dump_model, load_model
from models.canned import CannedKind, CannedResponse
from models.conversations import Conversation
from models.errors import Conflict, NotFound

_WATCHED = {"$in": ["queued", "assigned"]}
_PRIORITIES = [p.value for p in sorted(PRIORITY_RANK, key=PRIORITY_RANK.__getitem__)]
_QUEUE_ORDER = [("queued_at", ASCENDING), ("_id", ASCENDING)]

CONVERSATION_INDEXES = [
    IndexModel([("state", ASCENDING), ("group", ASCENDING), ("priority", ASCENDING), ("queued_at", ASCENDING),
                ("_id", ASCENDING)], name="inbox_queue"),
    IndexModel([("state", ASCENDING), ("queued_at", ASCENDING)], name="inbox_waiting"),
    IndexModel([("state", ASCENDING), ("assignee", ASCENDING), ("queued_at", ASCENDING)], name="inbox_assignee"),
    IndexModel([("state", ASCENDING), ("sla_next_due", ASCENDING)], name="inbox_sla_due"),
    IndexModel([("state", ASCENDING), ("sla_breached", ASCENDING), ("group", ASCENDING)], name="inbox_breached"),
    IndexModel([("follow_up_state", ASCENDING), ("follow_up_at", ASCENDING)], name="inbox_follow_up"),
    IndexModel([("follow_up_state", ASCENDING), ("assignee", ASCENDING)], name="inbox_reminders"),
]
CANNED_INDEXES = [
    IndexModel([("language", ASCENDING), ("shortcut", ASCENDING)], name="language_shortcut_unique", unique=True),
    IndexModel([("language", ASCENDING), ("topic", ASCENDING), ("kind", ASCENDING)], name="language_topic"),
]


def _in_groups(groups: Sequence[str] | None) -> Doc:
    return {} if groups is None else {"group": {"$in": list(groups)}}


class MongoInboxStore:
    """InboxStore on MongoDB."""

    def __init__(self, db: MongoDatabase) -> None:
        self.db = db

    def _coll(self, name: str) -> AsyncCollection[Doc]:
        return self.db.collection(name)

    async def open(self) -> None:
        """Create the indexes."""
        await self._coll("conversations").create_indexes(CONVERSATION_INDEXES)
        await self._coll("canned_responses").create_indexes(CANNED_INDEXES)

    async def _find(self, query: Doc, sort: list[tuple[str, int]], limit: int, skip: int = 0) -> list[Conversation]:
        cursor = self._coll("conversations").find(query).sort(sort).skip(skip).limit(limit)
        return [load_model(Conversation, doc) async for doc in cursor]

    async def queue(self, groups: Sequence[str], *, limit: int = 50, offset: int = 0) -> list[Conversation]:
        """Queued conversations of these groups, urgent first, then longest waiting."""
        found: list[Conversation] = []
        for priority in _PRIORITIES:
            if len(found) >= limit or not groups:
                break
            query = {"state": "queued", "group": {"$in": list(groups)}, "priority": priority}
            if offset:
                count = await self._coll("conversations").count_documents(query)
                if offset >= count:
                    offset -= count
                    continue
            found += await self._find(query, _QUEUE_ORDER, limit - len(found), skip=offset)
            offset = 0
        return found

    async def queue_stats(self, groups: Sequence[str] | None = None) -> list[QueueStat]:
        """Per group with anything queued: its length and oldest queue time."""
        pipeline: list[Doc] = [
            {"$match": {"state": "queued", "group": {"$type": "string"}, **_in_groups(groups)}},
            {"$group": {"_id": "$group", "queued": {"$sum": 1}, "oldest": {"$min": "$queued_at"}}},
            {"$sort": {"_id": 1}},
        ]
        cursor = await self._coll("conversations").aggregate(pipeline)
        return [QueueStat(doc["_id"], int(doc["queued"]), doc["oldest"]) async for doc in cursor]

    async def longest_waiting(self, groups: Sequence[str] | None = None, *, limit: int = 20) -> list[Conversation]:
        """Queued conversations by queue time."""
        return await self._find({"state": "queued", **_in_groups(groups)}, _QUEUE_ORDER, limit)

    async def assigned_to(self, user_id: str, *, limit: int = 200) -> list[Conversation]:
        """The operator's conversations, longest waiting first."""
        return await self._find({"state": "assigned", "assignee": user_id}, _QUEUE_ORDER, limit)

    async def reminders_for(self, user_id: str, *, limit: int = 50) -> list[Conversation]:
        """The operator's due follow-up reminders."""
        return await self._find({"follow_up_state": "due", "assignee": user_id},
                                [("follow_up_at", ASCENDING), ("_id", ASCENDING)], limit)

    async def loads(self, user_ids: Sequence[str]) -> dict[str, int]:
        """Assigned conversations per operator."""
        if not user_ids:
            return {}
        cursor = await self._coll("conversations").aggregate([
            {"$match": {"state": "assigned", "assignee": {"$in": list(user_ids)}}},
            {"$group": {"_id": "$assignee", "n": {"$sum": 1}}},
        ])
        return {doc["_id"]: int(doc["n"]) async for doc in cursor}

    async def sla_due(self, now: datetime, *, limit: int = 200) -> list[Conversation]:
        """Watched conversations whose next deadline has come."""
        return await self._find({"state": _WATCHED, "sla_next_due": {"$lte": now}},
                                [("sla_next_due", ASCENDING)], limit)

    def _breached_query(self, groups: Sequence[str] | None) -> Doc:
        return {"state": _WATCHED, "sla_breached": {"$in": ["first_response", "resolution"]}, **_in_groups(groups)}

    async def breached(self, groups: Sequence[str] | None = None, *, limit: int = 50) -> list[Conversation]:
        """Watched conversations with a breach, longest waiting first."""
        return await self._find(self._breached_query(groups), _QUEUE_ORDER, limit)

    async def count_breached(self, groups: Sequence[str] | None = None) -> dict[str, int]:
        """Breached watched conversations per group."""
        cursor = await self._coll("conversations").aggregate([
            {"$match": {**self._breached_query(groups), "group": {"$type": "string", **(
                {"$in": list(groups)} if groups is not None else {})}}},
            {"$group": {"_id": "$group", "n": {"$sum": 1}}},
        ])
        return {doc["_id"]: int(doc["n"]) async for doc in cursor}

    async def follow_ups_due(self, now: datetime, *, limit: int = 200) -> list[Conversation]:
        """Scheduled follow-ups whose time has come."""
        return await self._find({"follow_up_state": "scheduled", "follow_up_at": {"$lte": now}},
                                [("follow_up_at", ASCENDING)], limit)

    async def last_assigned(self, user_ids: Sequence[str]) -> dict[str, datetime]:
        """Last assignment per operator."""
        cursor = self._coll("inbox_operator_marks").find({"_id": {"$in": list(user_ids)}})
        return {doc["_id"]: doc["last_assigned"] async for doc in cursor}

    async def mark_assigned(self, user_id: str, at: datetime) -> None:
        """Remember the operator's latest assignment (never moves backwards)."""
        await self._coll("inbox_operator_marks").update_one({"_id": user_id}, {"$max": {"last_assigned": at}},
                                                            upsert=True)

    async def routes(self) -> dict[str, str]:
        """Topic → group overrides."""
        return {doc["_id"]: doc["group"] async for doc in self._coll("inbox_routes").find({})}

    async def set_route(self, topic: str, group: str | None) -> None:
        """Set or remove one override."""
        if group is None:
            await self._coll("inbox_routes").delete_one({"_id": topic})
        else:
            await self._coll("inbox_routes").replace_one({"_id": topic}, {"group": group}, upsert=True)

    async def save_canned(self, item: CannedResponse, *, expected_version: int | None = None) -> None:
        """Insert or replace (version+1); Conflict on a taken shortcut or a stale version."""
        previous = item.version
        item.version = (previous if expected_version is None else expected_version) + 1
        query: dict[str, Any] = {"_id": item.id}
        if expected_version is not None:
            query["version"] = expected_version
        try:
            result = await self._coll("canned_responses").replace_one(
                query, dump_model(item), upsert=expected_version is None)
        except DuplicateKeyError as e:
            item.version = previous
            raise Conflict(f"shortcut {item.shortcut!r} is already used in {item.language}") from e
        if result.matched_count == 0 and result.upserted_id is None:
            item.version = previous
            raise Conflict(f"canned response {item.id} changed since version {expected_version}")

    async def get_canned(self, item_id: str) -> CannedResponse:
        """One canned response, or NotFound."""
        doc = await self._coll("canned_responses").find_one({"_id": item_id})
        if doc is None:
            raise NotFound(f"canned response {item_id} not found")
        return load_model(CannedResponse, doc)

    async def delete_canned(self, item_id: str) -> bool:
        """Remove one."""
        return (await self._coll("canned_responses").delete_one({"_id": item_id})).deleted_count == 1

    async def search_canned(
        self, *, language: str, prefix: str = "", kind: CannedKind | None = None, topic: str | None = None,
        limit: int = 20,
    ) -> list[CannedResponse]:
        """By shortcut prefix (an index range), optionally of one kind and topic."""
        query: Doc = {"language": language, "shortcut": {"$gte": prefix.lower(), "$lt": prefix.lower() + "\U0010ffff"}}
        if kind is not None:
            query["kind"] = kind.value
        if topic is not None:
            query["topic"] = topic
        cursor = self._coll("canned_responses").find(query).sort("shortcut", ASCENDING).limit(limit)
        return [load_model(CannedResponse, doc) async for doc in cursor]
