"""Cases on SQLite (feature "cases"): the document as JSON beside the columns queues are read by.

Queue order is (done, urgency, due_key, number), all ascending, and every queue has an index that starts with
its filter and ends with that order, so reading the first page of a store's queue is an index range scan.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from hub.stores.cases import CaseOrder, CasePosition, CaseQuery, pinned_done, position
from hub.stores.sqlite.db import SqliteDatabase, execute, execute_many, fetch_one
from models.cases import Case, CaseId, CaseState
from models.errors import Conflict, NotFound

MIGRATIONS = [
    """
    CREATE TABLE cases (
        id TEXT PRIMARY KEY,
        number INTEGER NOT NULL UNIQUE,
        key TEXT UNIQUE,
        customer_id TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        request_type TEXT NOT NULL,
        store_id TEXT,
        group_id TEXT NOT NULL,
        assignee TEXT,
        state TEXT NOT NULL,
        done INTEGER NOT NULL,
        urgency INTEGER NOT NULL,
        due_key TEXT NOT NULL,
        breached INTEGER NOT NULL,
        check_at TEXT,
        created_at TEXT NOT NULL,
        version INTEGER NOT NULL,
        doc TEXT NOT NULL
    );
    CREATE INDEX cases_group_queue ON cases (group_id, done, urgency, due_key, number);
    CREATE INDEX cases_store_queue ON cases (store_id, done, urgency, due_key, number);
    CREATE INDEX cases_assignee_queue ON cases (assignee, done, urgency, due_key, number);
    CREATE INDEX cases_group_newest ON cases (group_id, number);
    CREATE INDEX cases_store_newest ON cases (store_id, number);
    CREATE INDEX cases_group_states ON cases (group_id, state);
    CREATE INDEX cases_store_states ON cases (store_id, state);
    CREATE INDEX cases_customer ON cases (customer_id, request_type, done);
    CREATE INDEX cases_conversation ON cases (conversation_id);
    CREATE INDEX cases_sla_check ON cases (check_at) WHERE check_at IS NOT NULL;
    CREATE TABLE case_numbers (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT INTO case_numbers (name, value) VALUES ('cases', 0);
    """,
    # the list of every store's open cases (operators, supervisors) in queue order, without a sort
    "CREATE INDEX cases_all_queue ON cases (done, urgency, due_key, number);",
]

_COLUMNS = ("id, number, key, customer_id, conversation_id, request_type, store_id, group_id, assignee, state,"
            " done, urgency, due_key, breached, check_at, created_at, version, doc")


def _instant(at: datetime | None) -> str | None:
    """UTC text that sorts as time does."""
    return None if at is None else at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _row(case: Case) -> tuple[Any, ...]:
    where = position(case)
    return (case.id, case.number, case.key, case.customer_id, case.conversation_id, case.request_type,
            case.store_id, case.group, case.assignee, case.state.value, where.done, where.urgency, where.due,
            int(case.sla.breached), _instant(case.sla.check_at if case.is_open else None),
            _instant(case.created_at), case.version, case.model_dump_json())


def _where(query: CaseQuery) -> tuple[list[str], list[Any]]:
    """SQL conditions and parameters for a query."""
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (("store_id", query.store_id), ("customer_id", query.customer_id),
                          ("conversation_id", query.conversation_id), ("assignee", query.assignee),
                          ("request_type", query.request_type)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if query.groups is not None:
        clauses.append(f"group_id IN ({', '.join('?' * len(query.groups))})" if query.groups else "0")
        params.extend(sorted(query.groups))
    if (done := pinned_done(query)) is not None:
        clauses.append(f"done = {done}")
    if query.states:
        clauses.append(f"state IN ({', '.join('?' * len(query.states))})")
        params.extend(sorted(s.value for s in query.states))
    if query.breached is not None:
        clauses.append("breached = ?")
        params.append(int(query.breached))
    if query.created_after is not None:
        clauses.append("created_at >= ?")
        params.append(_instant(query.created_after))
    return clauses, params


def _after_in_queue(query: CaseQuery, after: CasePosition) -> tuple[list[str], list[Any]] | None:
    """The condition "after `after` in queue order"; None when nothing can follow it."""
    done = pinned_done(query)
    if done is None:
        return ["(done, urgency, due_key, number) > (?, ?, ?, ?)"], [after.done, after.urgency, after.due, after.number]
    if after.done > done:  # past the last open case of an open-only list
        return None
    if after.done < done:
        return [], []
    # `done` is fixed by the query: a range on the rest lets the index give the order without sorting
    return ["(urgency, due_key, number) > (?, ?, ?)"], [after.urgency, after.due, after.number]


class SqliteCaseStore:
    """CaseStore on SQLite."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def next_number(self) -> int:
        """A fresh case number."""
        async with self.db.transaction() as conn:
            await execute(conn, "UPDATE case_numbers SET value = value + 1 WHERE name = 'cases'")
            row = await fetch_one(conn, "SELECT value FROM case_numbers WHERE name = 'cases'")
        assert row is not None  # inserted by the migration
        return int(row[0])

    async def create(self, case: Case) -> None:
        """Insert; Conflict if the id, number or key is taken."""
        await self.create_many([case])

    async def create_many(self, cases: list[Case]) -> None:
        """Insert all in one transaction; Conflict, writing none, if any is taken."""
        try:
            async with self.db.transaction() as conn:
                await execute_many(conn, f"INSERT INTO cases ({_COLUMNS}) VALUES ({', '.join('?' * 18)})",
                                   [_row(c) for c in cases])
                top = max((c.number for c in cases), default=0)
                await execute(conn, "UPDATE case_numbers SET value = max(value, ?) WHERE name = 'cases'", (top,))
        except sqlite3.IntegrityError as e:
            raise Conflict(f"case id, number or key already taken: {e}") from e

    async def get(self, case_id: CaseId) -> Case:
        """The case, or NotFound."""
        doc = await self.db.one("SELECT doc FROM cases WHERE id = ?", (case_id,))
        if doc is None:
            raise NotFound(f"case {case_id} not found")
        return Case.model_validate_json(doc)

    async def get_by_number(self, number: int) -> Case:
        """The case with this number, or NotFound."""
        doc = await self.db.one("SELECT doc FROM cases WHERE number = ?", (number,))
        if doc is None:
            raise NotFound(f"case #{number} not found")
        return Case.model_validate_json(doc)

    async def find_by_key(self, key: str) -> Case | None:
        """The case opened under this key."""
        doc = await self.db.one("SELECT doc FROM cases WHERE key = ?", (key,))
        return None if doc is None else Case.model_validate_json(doc)

    async def save(self, case: Case, *, expected_version: int) -> None:
        """Write back with version+1; Conflict if stale."""
        case.version = expected_version + 1
        row = _row(case)
        changed = await self.db.run(
            "UPDATE cases SET customer_id = ?, conversation_id = ?, request_type = ?, store_id = ?, group_id = ?,"
            " assignee = ?, state = ?, done = ?, urgency = ?, due_key = ?, breached = ?, check_at = ?,"
            " version = ?, doc = ? WHERE id = ? AND version = ?",
            (*row[3:15], row[16], row[17], case.id, expected_version))
        if changed != 1:
            case.version = expected_version
            if await self.db.one("SELECT 1 FROM cases WHERE id = ?", (case.id,)) is None:
                raise NotFound(f"case {case.id} not found")
            raise Conflict(f"case {case.id} changed since version {expected_version}")

    async def find(
        self, query: CaseQuery, *, order: CaseOrder = "queue", after: CasePosition | None = None, limit: int = 50,
    ) -> list[Case]:
        """Matching cases in queue order (or newest first), after `after`."""
        clauses, params = _where(query)
        if order == "queue":
            if after is not None:
                more = _after_in_queue(query, after)
                if more is None:
                    return []
                clauses += more[0]
                params += more[1]
            sort = "done, urgency, due_key, number"
        else:
            if after is not None:
                clauses.append("number < ?")
                params.append(after.number)
            sort = "number DESC"
        where = " AND ".join(clauses) or "1"
        docs = await self.db.column(f"SELECT doc FROM cases WHERE {where} ORDER BY {sort} LIMIT ?", (*params, limit),
                                    offloop=True)
        return [Case.model_validate_json(d) for d in docs]

    async def count(self, query: CaseQuery) -> int:
        """How many cases match."""
        clauses, params = _where(query)
        return int(await self.db.one(f"SELECT count(*) FROM cases WHERE {' AND '.join(clauses) or '1'}",
                                     tuple(params), offloop=True))

    async def count_by_state(self, query: CaseQuery) -> dict[CaseState, int]:
        """How many matching cases are in each state."""
        clauses, params = _where(query)
        rows = await self.db.rows(
            f"SELECT state, count(*) FROM cases WHERE {' AND '.join(clauses) or '1'} GROUP BY state", tuple(params),
            offloop=True)
        return {CaseState(state): int(n) for state, n in rows}

    async def due_for_sla(self, now: datetime, *, limit: int = 100) -> list[Case]:
        """Open cases whose next SLA check is due, earliest first."""
        docs = await self.db.column(
            "SELECT doc FROM cases WHERE check_at IS NOT NULL AND check_at <= ? ORDER BY check_at LIMIT ?",
            (_instant(now), limit))
        return [Case.model_validate_json(d) for d in docs]

