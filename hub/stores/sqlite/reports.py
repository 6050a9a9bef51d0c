"""The report store on SQLite: a facts table and a rollup table per cube, in a file of its own.

Its own file (beside the main store's) keeps the backfill's long writes and the dashboards' reads off the
main connection's write lock. Rollup rows are upserted with `counter = counter + delta`, in the same
transaction as the fact, so a fact and its rollups never disagree.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from dataclasses import fields
from datetime import date
from pathlib import Path
from typing import Any

from hub.stores.reports import Filters, Row, complaint_topics
from hub.stores.sqlite.db import SqliteDatabase, execute, execute_many, fetch_one
from models.errors import Unavailable
from models.report_cube import CASES, CONVERSATIONS, Cube, Grain, added, deltas
from models.report_facts import CaseFact, ConversationFact, week_of

Fact = ConversationFact | CaseFact
_FACT_TYPES: dict[str, type[ConversationFact] | type[CaseFact]] = {
    "conversations": ConversationFact, "cases": CaseFact}
_IDS = {"conversations": "conversation_id", "cases": "case_id"}
# Drill-downs by these read an index range; topic and group are narrow enough to filter a day range by.
_INDEXED = {"conversations": ("store", "region", "operator"), "cases": ("store", "region", "group")}


def q(name: str) -> str:
    """A quoted identifier ('group' is an SQL keyword)."""
    return f'"{name}"'


def _facts_table(cube: Cube) -> str:
    return f"report_{cube.name}"


def _rollup_table(cube: Cube) -> str:
    return f"report_{cube.name}_rollups"


def _schema(cube: Cube) -> str:
    kind = _FACT_TYPES[cube.name]
    key = _IDS[cube.name]
    cols = ", ".join(f"{q(f.name)}{' PRIMARY KEY' if f.name == key else ''}" for f in fields(kind))
    facts, rollups = _facts_table(cube), _rollup_table(cube)
    index = [f"CREATE INDEX IF NOT EXISTS {facts}_day ON {facts} (day, opened_at);"]
    index += [f"CREATE INDEX IF NOT EXISTS {facts}_{d} ON {facts} ({q(d)}, day);" for d in _INDEXED[cube.name]]
    if cube is CONVERSATIONS:
        index.append(f"CREATE INDEX IF NOT EXISTS {facts}_customer ON {facts} (customer_id, opened_at);")
    dims = ", ".join(f"{q(d)} TEXT NOT NULL" for d in cube.dims)
    measures = ", ".join(f"{q(m)} REAL NOT NULL DEFAULT 0" for m in cube.measures)
    pk = ", ".join(q(c) for c in ("grain", "period", *cube.dims))
    index += [f"CREATE INDEX IF NOT EXISTS {rollups}_{d} ON {rollups} (grain, {q(d)}, period);"
              for d in ("store", "region")]
    return "\n".join([
        f"CREATE TABLE IF NOT EXISTS {facts} ({cols});",
        f"CREATE TABLE IF NOT EXISTS {rollups} (grain TEXT NOT NULL, period TEXT NOT NULL, {dims}, {measures},"
        f" PRIMARY KEY ({pk})) WITHOUT ROWID;",
        *index,
    ])


# IF NOT EXISTS: the api and an embedded worker (or two workers) open the file at the same moment, and the
# second one's migration must find the tables made, not fail.
MIGRATIONS = [_schema(CONVERSATIONS) + "\n" + _schema(CASES)]

# The counters the management dashboard's store table sums per store (catalog's TABLE_MEASURES): in an index
# ordered by store, its GROUP BY store streams through narrow entries instead of reading the wide rollup rows of
# 16,000 stores x 13 weeks and sorting them (bench/reports.py, 90 days: CPU p50 204 -> 58 ms at 250,000
# conversations). The index holds every week of history; a two-week read (the voice) keeps to the key's range.
STORE_TABLE_MEASURES = ("conversations", "complaints", "contained", "repeats", "csat_sum", "csat_n")
MIGRATIONS.append(
    "CREATE INDEX IF NOT EXISTS report_conversations_rollups_store_sums ON report_conversations_rollups"
    f" (grain, store, period, {', '.join(q(m) for m in STORE_TABLE_MEASURES)});")


def reports_path(main_path: str) -> str:
    """The reports file beside the main SQLite file ('x.sqlite' -> 'x-reports.sqlite'); memory stays memory."""
    if main_path == ":memory:":
        return main_path
    path = Path(main_path)
    return str(path.with_name(f"{path.stem}-reports{path.suffix or '.sqlite'}"))


def _where(cube: Cube, filters: Filters, *, period: tuple[str, str], column: str) -> tuple[str, list[Any]]:
    clauses, params = [f"{column} BETWEEN ? AND ?"], list(period)
    for dim, value in filters.dims(cube).items():
        clauses.append(f"{q(dim)} = ?")
        params.append(value)
    return " AND ".join(clauses), params


_CONDITIONS = {
    "handed_over": "handed_over = 1", "contained": "contained = 1", "resolved": "resolved = 1",
    "repeat": '"repeat" = 1', "fallbacks": "fallbacks > 0", "unsure": "unsure > 0",
    "fr_missed": "first_response_met = 0", "res_missed": "resolution_met = 0", "csat": "csat IS NOT NULL",
    "csat_low": "csat <= 2", "solved": "solved = 1", "breached": "sla_breached = 1",
}


def grain_period(grain: Grain, filters: Filters) -> tuple[str, str]:
    """The period keys of the grain that the filters' days cover."""
    if grain.time == "hour":
        return f"{filters.start}T00", f"{filters.end}T23"
    if grain.time == "week":
        return week_of(date.fromisoformat(filters.start)), week_of(date.fromisoformat(filters.end))
    return filters.start, filters.end


class SqliteReportStore:
    """ReportStore on SQLite."""

    def __init__(self, path: str) -> None:
        self.db = SqliteDatabase(path, {"reports": MIGRATIONS}, name="SQLite report store")

    async def open(self) -> None:
        """Open the file and create the tables; a larger page cache (64 MB) for rollup upserts and backfills.

        Two processes opening a new file at once race to create the tables: the loser's migration fails (a
        stale WAL snapshot) and simply runs again, finding them made."""
        for attempt in range(1, 6):
            try:
                await self.db.open()
                break
            except (sqlite3.OperationalError, Unavailable):
                await self.db.close()
                if attempt == 5:
                    raise
                await asyncio.sleep(0.1 * attempt)
        await self.db.run("PRAGMA cache_size = -65536")

    async def close(self) -> None:
        """Close the file."""
        await self.db.close()

    async def conversation_fact(self, conversation_id: str) -> ConversationFact | None:
        """The stored fact of a conversation, if any."""
        found = await self._fact(CONVERSATIONS, conversation_id)
        return None if found is None else ConversationFact.from_row(found)

    async def case_fact(self, case_id: str) -> CaseFact | None:
        """The stored fact of a case, if any."""
        found = await self._fact(CASES, case_id)
        return None if found is None else CaseFact.from_row(found)

    async def _fact(self, cube: Cube, key: str) -> dict[str, Any] | None:
        rows = await self._dicts(cube, f"WHERE {_IDS[cube.name]} = ?", (key,))
        return rows[0] if rows else None

    async def put_conversation(self, fact: ConversationFact) -> None:
        """Store the fact and move the rollups by its difference to the stored one, in one transaction."""
        await self._put(CONVERSATIONS, fact, fact.conversation_id)

    async def put_case(self, fact: CaseFact) -> None:
        """Store the case fact and move the rollups by its difference to the stored one."""
        await self._put(CASES, fact, fact.case_id)

    async def _put(self, cube: Cube, fact: Fact, key: str) -> None:
        kind = _FACT_TYPES[cube.name]
        names = _names(cube)
        async with self.db.transaction() as conn:
            select = f"SELECT {', '.join(q(n) for n in names)} FROM {_facts_table(cube)} WHERE {_IDS[cube.name]} = ?"
            row = await fetch_one(conn, select, (key,))
            old = None if row is None else kind.from_row(dict(zip(names, row, strict=True)))
            if old == fact:
                return  # a redelivered event: nothing moved
            await _upsert_rollups(conn, cube, deltas(cube, old, fact))
            await _write_facts(conn, cube, [fact])

    async def contacted_between(self, customer_id: str, start: str, end: str, *, besides: str) -> bool:
        """Whether the customer opened another conversation in [start, end)."""
        found = await self.db.one(
            "SELECT 1 FROM report_conversations WHERE customer_id = ? AND opened_at >= ? AND opened_at < ?"
            " AND conversation_id != ? LIMIT 1", (customer_id, start, end, besides))
        return found is not None

    async def load(self, conversations: list[ConversationFact], cases: list[CaseFact]) -> None:
        """Add new facts and their rollups in bulk: counters summed in memory first, one upsert per row."""
        async with self.db.transaction() as conn:
            for cube, facts in ((CONVERSATIONS, conversations), (CASES, cases)):
                if not facts:
                    continue
                summed = added(cube, facts)
                await _upsert_rollups(conn, cube, summed)
                await _write_facts(conn, cube, facts)

    async def clear(self) -> None:
        """Forget every fact and rollup."""
        async with self.db.transaction() as conn:
            for cube in (CONVERSATIONS, CASES):
                await execute(conn, f"DELETE FROM {_facts_table(cube)}")
                await execute(conn, f"DELETE FROM {_rollup_table(cube)}")

    async def rollup(
        self, cube: Cube, grain: Grain, filters: Filters, by: tuple[str, ...], *, measures: tuple[str, ...],
        top: tuple[str, int] | None = None,
    ) -> list[Row]:
        """`measures` summed over the grain's rows in the period, grouped by `by` (the largest `top` only)."""
        where, params = _where(cube, filters, period=grain_period(grain, filters), column="period")
        group = ", ".join(q(b) for b in by)
        sums = ", ".join(f"SUM({q(m)})" for m in measures)
        select = f"SELECT {group + ', ' if by else ''}{sums} FROM {_rollup_table(cube)} WHERE grain = ? AND {where}"
        sql = select + (f" GROUP BY {group}" if by else "")
        if top is not None:
            sql += f" ORDER BY SUM({q(top[0])}) DESC LIMIT {int(top[1])}"
        rows = await self.db.rows(sql, (grain.name, *params), offloop=True)
        n = len(by)
        return [(tuple(str(v) for v in r[:n]), dict(zip(measures, (v or 0 for v in r[n:]), strict=True)))
                for r in rows if r[n] is not None]

    async def rising(
        self, cube: Cube, grain: Grain, filters: Filters, dim: str, measure: str, *, since: str,
        more_than: float,
    ) -> dict[str, tuple[int, int]]:
        """Both halves of the period summed per value in one GROUP BY; only the rises leave SQLite (a few
        hundred of 16,000 stores), not a row per value and week.

        Read through the primary key's (grain, period) range, named: the planner would otherwise pick the
        store index to skip the sort, and that index holds every week of history, not just these two."""
        where, params = _where(cube, filters, period=grain_period(grain, filters), column="period")
        split = grain_period(grain, filters.but(start=since))[0]
        later, earlier = (f"SUM(CASE WHEN period {op} ? THEN {q(measure)} ELSE 0 END)" for op in (">=", "<"))
        sql = (f"SELECT v, a, b FROM (SELECT {q(dim)} AS v, {later} AS a, {earlier} AS b FROM {_rollup_table(cube)}"
               f" INDEXED BY sqlite_autoindex_{_rollup_table(cube)}_1"
               f" WHERE grain = ? AND {where} AND {q(dim)} != '' GROUP BY {q(dim)}) WHERE a > b AND a + b > ?")
        rows = await self.db.rows(sql, (split, split, grain.name, *params, more_than), offloop=True)
        return {str(v): (int(a), int(b)) for v, a, b in rows}

    async def facts(
        self, cube: Cube, filters: Filters, *, condition: str | None = None, limit: int | None = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Facts in the filters, newest first, optionally meeting a drill-down condition."""
        where, params = _where(cube, filters, period=(filters.start, filters.end), column="day")
        if condition == "complaint":
            topics = complaint_topics()
            where += f" AND topic IN ({', '.join('?' * len(topics))})"
            params += topics
        elif condition is not None:
            where += f" AND {_CONDITIONS[condition]}"
        sql = f"WHERE {where} ORDER BY day DESC, opened_at DESC"  # the (day, opened_at) index, read backwards
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        return await self._dicts(cube, sql, tuple(params))

    async def count_facts(self, cube: Cube) -> int:
        """How many facts the cube holds."""
        return int(await self.db.one(f"SELECT COUNT(*) FROM {_facts_table(cube)}", offloop=True) or 0)

    async def _dicts(self, cube: Cube, tail: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        names = _names(cube)
        rows = await self.db.rows(f"SELECT {', '.join(q(n) for n in names)} FROM {_facts_table(cube)} {tail}", params,
                                  offloop=True)
        return [dict(zip(names, row, strict=True)) for row in rows]


def _names(cube: Cube) -> list[str]:
    return [f.name for f in fields(_FACT_TYPES[cube.name])]


async def _write_facts(conn: Any, cube: Cube, facts: Sequence[Fact]) -> None:
    names = _names(cube)
    sql = (f"INSERT OR REPLACE INTO {_facts_table(cube)} ({', '.join(q(n) for n in names)})"
           f" VALUES ({', '.join('?' * len(names))})")
    await execute_many(conn, sql, [tuple(f.row()[n] for n in names) for f in facts])


async def _upsert_rollups(conn: Any, cube: Cube, rows: dict[tuple[str, ...], dict[str, float]]) -> None:
    keys = ("grain", "period", *cube.dims)
    cols = [*keys, *cube.measures]
    updates = ", ".join(f"{q(m)} = {q(m)} + excluded.{q(m)}" for m in cube.measures)
    sql = (f"INSERT INTO {_rollup_table(cube)} ({', '.join(q(c) for c in cols)})"
           f" VALUES ({', '.join('?' * len(cols))})"
           f" ON CONFLICT ({', '.join(q(k) for k in keys)}) DO UPDATE SET {updates}")
    await execute_many(conn, sql, [(*key, *(counts.get(m, 0) for m in cube.measures))
                                    for key, counts in rows.items()])
