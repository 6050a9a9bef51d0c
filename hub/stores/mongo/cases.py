"""Cases on MongoDB: the case document plus the fields queues are sorted by (`q_*`), indexed per queue.

Queue order is (q_done, q_urgency, q_due, number), all ascending; each queue's index starts with its filter and
ends with that order, so the first page of a store's queue is read from the index without sorting.
Numbers come from a counter document (`counters._id = "cases"`), as message sequence numbers do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

from hub.stores.cases import CaseOrder, CasePosition, CaseQuery, position
from hub.stores.mongo.db import Doc, MongoDatabase, dump_model, load_model
from models.cases import OPEN_STATES, Case, CaseId, CaseState
from models.errors import Conflict, NotFound

_COUNTER = "cases"
_STRING = {"$type": "string"}
_ORDER = [("q_done", ASCENDING), ("q_urgency", ASCENDING), ("q_due", ASCENDING), ("number", ASCENDING)]

INDEXES = [
    IndexModel([("number", ASCENDING)], name="number_unique", unique=True),
    IndexModel([("key", ASCENDING)], name="key_unique", unique=True, partialFilterExpression={"key": _STRING}),
    IndexModel([("group", ASCENDING), *_ORDER], name="group_queue"),
    IndexModel([("store_id", ASCENDING), *_ORDER], name="store_queue"),
    IndexModel([("assignee", ASCENDING), *_ORDER], name="assignee_queue"),
    IndexModel(_ORDER, name="all_queue"),  # every store's open cases, for operators and supervisors
    IndexModel([("group", ASCENDING), ("number", DESCENDING)], name="group_newest"),
    IndexModel([("store_id", ASCENDING), ("number", DESCENDING)], name="store_newest"),
    IndexModel([("group", ASCENDING), ("state", ASCENDING)], name="group_states"),
    IndexModel([("store_id", ASCENDING), ("state", ASCENDING)], name="store_states"),
    IndexModel([("customer_id", ASCENDING), ("request_type", ASCENDING), ("q_done", ASCENDING)], name="customer"),
    IndexModel([("conversation_id", ASCENDING)], name="conversation"),
    IndexModel([("q_check", ASCENDING)], name="sla_check", partialFilterExpression={"q_check": {"$type": "date"}}),
]


def _doc(case: Case) -> Doc:
    where = position(case)
    return dump_model(case, q_done=where.done, q_urgency=where.urgency, q_due=where.due,
                      q_check=case.sla.check_at if case.is_open else None)


def _filter(query: CaseQuery) -> Doc:
    found: Doc = {}
    for name, value in (("store_id", query.store_id), ("customer_id", query.customer_id),
                        ("conversation_id", query.conversation_id), ("assignee", query.assignee),
                        ("request_type", query.request_type)):
        if value is not None:
            found[name] = value
    if query.groups is not None:
        found["group"] = {"$in": sorted(query.groups)}
    if query.open_only or (query.states and query.states <= OPEN_STATES):
        found["q_done"] = 0
    elif query.states and not query.states & OPEN_STATES:
        found["q_done"] = 1
    if query.states:
        found["state"] = {"$in": sorted(s.value for s in query.states)}
    if query.breached is not None:
        found["sla.breached"] = query.breached
    if query.created_after is not None:
        found["created_at"] = {"$gte": query.created_after}
    return found


def _after(after: CasePosition) -> Doc:
    """Strictly after `after` in (q_done, q_urgency, q_due, number) order."""
    o, u, d, n = after.done, after.urgency, after.due, after.number
    return {"$or": [{"q_done": {"$gt": o}}, {"q_done": o, "q_urgency": {"$gt": u}},
                    {"q_done": o, "q_urgency": u, "q_due": {"$gt": d}},
                    {"q_done": o, "q_urgency": u, "q_due": d, "number": {"$gt": n}}]}


class MongoCaseStore:
    """CaseStore on MongoDB."""

    def __init__(self, db: MongoDatabase) -> None:
        self.db = db

    @property
    def _coll(self) -> AsyncCollection[Doc]:
        return self.db.collection("cases")

    async def open(self) -> None:
        """Create the indexes and the number counter."""
        await self._coll.create_indexes(INDEXES)
        await self.db.collection("counters").update_one({"_id": _COUNTER}, {"$setOnInsert": {"seq": 0}}, upsert=True)

    async def next_number(self) -> int:
        """A fresh case number."""
        doc = await self.db.collection("counters").find_one_and_update(
            {"_id": _COUNTER}, {"$inc": {"seq": 1}}, upsert=True, return_document=ReturnDocument.AFTER)
        assert doc is not None  # upserted
        return int(doc["seq"])

    async def create(self, case: Case) -> None:
        """Insert; Conflict if the id, number or key is taken."""
        try:
            await self._coll.insert_one(_doc(case))
        except DuplicateKeyError as e:
            raise Conflict(f"case {case.id}: id, number or key already taken") from e
        await self._raise_counter(case.number)

    async def create_many(self, cases: list[Case]) -> None:
        """Insert in order; Conflict at the first taken id, number or key (those before it stay)."""
        if not cases:
            return
        try:
            await self._coll.insert_many([_doc(c) for c in cases], ordered=True)
        except BulkWriteError as e:
            raise Conflict(f"case id, number or key already taken: {e.details.get('writeErrors', [])[:1]}") from e
        await self._raise_counter(max(c.number for c in cases))

    async def _raise_counter(self, number: int) -> None:
        """Cases numbered by an import: the counter never hands out their numbers again."""
        await self.db.collection("counters").update_one({"_id": _COUNTER}, {"$max": {"seq": number}}, upsert=True)

    async def get(self, case_id: CaseId) -> Case:
        """The case, or NotFound."""
        doc = await self._coll.find_one({"_id": case_id})
        if doc is None:
            raise NotFound(f"case {case_id} not found")
        return load_model(Case, doc)

    async def get_by_number(self, number: int) -> Case:
        """The case with this number, or NotFound."""
        doc = await self._coll.find_one({"number": number})
        if doc is None:
            raise NotFound(f"case #{number} not found")
        return load_model(Case, doc)

    async def find_by_key(self, key: str) -> Case | None:
        """The case opened under this key."""
        doc = await self._coll.find_one({"key": {"$eq": key, **_STRING}})
        return None if doc is None else load_model(Case, doc)

    async def save(self, case: Case, *, expected_version: int) -> None:
        """Write back with version+1; Conflict if stale."""
        case.version = expected_version + 1
        result = await self._coll.replace_one({"_id": case.id, "version": expected_version}, _doc(case))
        if result.matched_count != 1:
            case.version = expected_version
            if await self._coll.count_documents({"_id": case.id}, limit=1) == 0:
                raise NotFound(f"case {case.id} not found")
            raise Conflict(f"case {case.id} changed since version {expected_version}")

    async def find(
        self, query: CaseQuery, *, order: CaseOrder = "queue", after: CasePosition | None = None, limit: int = 50,
    ) -> list[Case]:
        """Matching cases in queue order (or newest first), after `after`."""
        found = _filter(query)
        sort: list[tuple[str, Any]]
        if order == "queue":
            sort = _ORDER
            if after is not None:
                found = {"$and": [found, _after(after)]}
        else:
            sort = [("number", DESCENDING)]
            if after is not None:
                found = {"$and": [found, {"number": {"$lt": after.number}}]}
        cursor = self._coll.find(found).sort(sort).limit(limit)
        return [load_model(Case, doc) async for doc in cursor]

    async def count(self, query: CaseQuery) -> int:
        """How many cases match."""
        return await self._coll.count_documents(_filter(query))

    async def count_by_state(self, query: CaseQuery) -> dict[CaseState, int]:
        """How many matching cases are in each state."""
        pipeline = [{"$match": _filter(query)}, {"$group": {"_id": "$state", "n": {"$sum": 1}}}]
        cursor = await self._coll.aggregate(pipeline)
        return {CaseState(doc["_id"]): int(doc["n"]) async for doc in cursor}

    async def due_for_sla(self, now: datetime, *, limit: int = 100) -> list[Case]:
        """Open cases whose next SLA check is due, earliest first."""
        cursor = self._coll.find({"q_check": {"$lte": now, "$type": "date"}}).sort("q_check", ASCENDING).limit(limit)
        return [load_model(Case, doc) async for doc in cursor]
