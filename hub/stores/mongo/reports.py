"""The report store on MongoDB: a facts collection and a rollup collection per cube, indexed.

Rollup documents are keyed by grain, period and dimensions and moved with `$inc`; reports read them with
one `$match` + `$group` pipeline. A fact is replaced only if nobody replaced it meanwhile (its `rev`), so
two workers refreshing one conversation never both add its difference. Without multi-document
transactions a crash between the fact and its `$inc` can lose one difference: `otklik reports backfill`
rebuilds everything from history.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, UpdateOne
from pymongo.errors import DuplicateKeyError

from hub.stores.mongo.db import MongoDatabase
from hub.stores.reports import Filters, Row, complaint_topics
from models.report_cube import CASES, CONVERSATIONS, Cube, Grain, added, deltas
from models.report_facts import CaseFact, ConversationFact, week_of

Fact = ConversationFact | CaseFact
_IDS = {"conversations": "conversation_id", "cases": "case_id"}
_INDEXED = {"conversations": ("topic", "store", "region", "operator", "group"), "cases": ("store", "region", "group")}
_CONDITIONS: dict[str, dict[str, Any]] = {
    "handed_over": {"handed_over": True}, "contained": {"contained": True}, "resolved": {"resolved": True},
    "repeat": {"repeat": True}, "fallbacks": {"fallbacks": {"$gt": 0}}, "unsure": {"unsure": {"$gt": 0}},
    "fr_missed": {"first_response_met": False}, "res_missed": {"resolution_met": False},
    "csat": {"csat": {"$ne": None}}, "csat_low": {"csat": {"$lte": 2, "$ne": None}}, "solved": {"solved": True},
    "breached": {"sla_breached": True},
}


def _period(grain: Grain, filters: Filters) -> tuple[str, str]:
    if grain.time == "hour":
        return f"{filters.start}T00", f"{filters.end}T23"
    if grain.time == "week":
        return week_of(date.fromisoformat(filters.start)), week_of(date.fromisoformat(filters.end))
    return filters.start, filters.end


class MongoReportStore:
    """ReportStore on MongoDB."""

    def __init__(self, url: str, database: str | None = None) -> None:
        self.db = MongoDatabase(url, database)

    def _facts(self, cube: Cube) -> Any:
        return self.db.collection(f"report_{cube.name}")

    def _rollups(self, cube: Cube) -> Any:
        return self.db.collection(f"report_{cube.name}_rollups")

    async def open(self) -> None:
        """Connect and create the indexes."""
        await self.db.open()
        for cube in (CONVERSATIONS, CASES):
            facts = [IndexModel([("day", ASCENDING), ("opened_at", DESCENDING)])]
            facts += [IndexModel([(d, ASCENDING), ("day", ASCENDING)]) for d in _INDEXED[cube.name]]
            if cube is CONVERSATIONS:
                facts.append(IndexModel([("customer_id", ASCENDING), ("opened_at", ASCENDING)]))
            await self._facts(cube).create_indexes(facts)
            await self._rollups(cube).create_indexes(
                [IndexModel([("grain", ASCENDING), (d, ASCENDING), ("period", ASCENDING)])
                 for d in ("period", "store", "region")])

    async def close(self) -> None:
        """Disconnect."""
        await self.db.close()

    async def conversation_fact(self, conversation_id: str) -> ConversationFact | None:
        """The stored fact of a conversation, if any."""
        doc = await self._facts(CONVERSATIONS).find_one({"_id": conversation_id})
        return None if doc is None else ConversationFact.from_row(doc)

    async def case_fact(self, case_id: str) -> CaseFact | None:
        """The stored fact of a case, if any."""
        doc = await self._facts(CASES).find_one({"_id": case_id})
        return None if doc is None else CaseFact.from_row(doc)

    async def put_conversation(self, fact: ConversationFact) -> None:
        """Store the fact (compare-and-set on its revision), then move the rollups by the difference."""
        await self._put(CONVERSATIONS, fact, fact.conversation_id)

    async def put_case(self, fact: CaseFact) -> None:
        """Store the case fact, then move the rollups by the difference."""
        await self._put(CASES, fact, fact.case_id)

    async def _put(self, cube: Cube, fact: Fact, key: str) -> None:
        kind = ConversationFact if cube is CONVERSATIONS else CaseFact
        coll = self._facts(cube)
        for _ in range(5):  # another worker replaced it meanwhile: read again and retry
            doc = await coll.find_one({"_id": key})
            old = None if doc is None else kind.from_row(doc)
            if old == fact:
                return
            rev = 0 if doc is None else int(doc.get("rev", 0))
            new = {"_id": key, **fact.row(), "rev": rev + 1}
            try:
                if doc is None:
                    await coll.insert_one(new)
                elif (await coll.replace_one({"_id": key, "rev": rev}, new)).matched_count == 0:
                    continue
            except DuplicateKeyError:
                continue
            await self._inc(cube, deltas(cube, old, fact))
            return

    async def _inc(self, cube: Cube, rows: dict[tuple[str, ...], dict[str, float]]) -> None:
        if not rows:
            return
        ops = []
        for key, counts in rows.items():
            dims = dict(zip(("grain", "period", *cube.dims), key, strict=True))
            ops.append(UpdateOne({"_id": "|".join(key)}, {"$inc": counts, "$setOnInsert": dims}, upsert=True))
        await self._rollups(cube).bulk_write(ops, ordered=False)

    async def contacted_between(self, customer_id: str, start: str, end: str, *, besides: str) -> bool:
        """Whether the customer opened another conversation in [start, end)."""
        doc = await self._facts(CONVERSATIONS).find_one(
            {"customer_id": customer_id, "opened_at": {"$gte": start, "$lt": end}, "_id": {"$ne": besides}})
        return doc is not None

    async def load(self, conversations: list[ConversationFact], cases: list[CaseFact]) -> None:
        """Add new facts and their rollups in bulk, counters summed in memory first."""
        for cube, facts in ((CONVERSATIONS, conversations), (CASES, cases)):
            if not facts:
                continue
            summed = added(cube, facts)
            key = _IDS[cube.name]
            await self._facts(cube).bulk_write(
                [UpdateOne({"_id": f.row()[key]}, {"$set": {**f.row(), "rev": 1}}, upsert=True) for f in facts],
                ordered=False)
            await self._inc(cube, summed)

    async def clear(self) -> None:
        """Forget every fact and rollup."""
        for cube in (CONVERSATIONS, CASES):
            await self._facts(cube).delete_many({})
            await self._rollups(cube).delete_many({})

    async def rollup(
        self, cube: Cube, grain: Grain, filters: Filters, by: tuple[str, ...], *, measures: tuple[str, ...],
        top: tuple[str, int] | None = None,
    ) -> list[Row]:
        """`measures` summed over the grain's documents in the period, grouped by `by` (the largest `top` only)."""
        start, end = _period(grain, filters)
        match = {"grain": grain.name, "period": {"$gte": start, "$lte": end}, **filters.dims(cube)}
        group: dict[str, Any] = {"_id": {b: f"${b}" for b in by}}
        group.update({f"m{n}": {"$sum": f"${m}"} for n, m in enumerate(measures)})
        pipeline: list[dict[str, Any]] = [{"$match": match}, {"$group": group}]
        if top is not None:
            pipeline += [{"$sort": {f"m{measures.index(top[0])}": -1}}, {"$limit": top[1]}]
        out = []
        async for doc in await self._rollups(cube).aggregate(pipeline):
            counts = {m: doc[f"m{n}"] for n, m in enumerate(measures)}
            out.append((tuple(str(doc["_id"][b]) for b in by), counts))
        return out

    async def rising(
        self, cube: Cube, grain: Grain, filters: Filters, dim: str, measure: str, *, since: str,
        more_than: float,
    ) -> dict[str, tuple[int, int]]:
        """Both halves of the period summed per value in one `$group`; only the rises leave the server."""
        start, end = _period(grain, filters)
        split = _period(grain, filters.but(start=since))[0]
        match: dict[str, Any] = {"grain": grain.name, "period": {"$gte": start, "$lte": end}, **filters.dims(cube)}
        match.setdefault(dim, {"$ne": ""})
        later = {"$cond": [{"$gte": ["$period", split]}, f"${measure}", 0]}
        earlier = {"$cond": [{"$lt": ["$period", split]}, f"${measure}", 0]}
        pipeline: list[dict[str, Any]] = [
            {"$match": match},
            {"$group": {"_id": f"${dim}", "later": {"$sum": later}, "earlier": {"$sum": earlier}}},
            {"$match": {"$expr": {"$and": [{"$gt": ["$later", "$earlier"]},
                                           {"$gt": [{"$add": ["$later", "$earlier"]}, more_than]}]}}},
        ]
        out: dict[str, tuple[int, int]] = {}
        async for doc in await self._rollups(cube).aggregate(pipeline):
            if doc["_id"]:
                out[str(doc["_id"])] = (int(doc["later"]), int(doc["earlier"]))
        return out

    async def facts(
        self, cube: Cube, filters: Filters, *, condition: str | None = None, limit: int | None = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Facts in the filters, newest first, optionally meeting a drill-down condition."""
        query: dict[str, Any] = {"day": {"$gte": filters.start, "$lte": filters.end}, **filters.dims(cube)}
        if condition == "complaint":
            query["$and"] = [{"topic": {"$in": complaint_topics()}}]
        elif condition is not None:
            query.update(_CONDITIONS[condition])
        newest = [("day", DESCENDING), ("opened_at", DESCENDING)]
        cursor = self._facts(cube).find(query, {"rev": 0}).sort(newest).skip(offset)
        if limit is not None:
            cursor = cursor.limit(limit)
        return [{k: v for k, v in doc.items() if k != "_id"} async for doc in cursor]

    async def count_facts(self, cube: Cube) -> int:
        """How many facts the cube holds."""
        return int(await self._facts(cube).count_documents({}))
