"""The inbox's queries on SQLite (feature "inbox").

Conversations stay documents in the core `conversations` table; this feature adds virtual generated
columns computed from the document (group, assignee, priority rank, queue time, SLA and follow-up
instants) and partial indexes on them. SQLite keeps them in step with every write of the document, so
the core adapter needs no change. Instants are julian days (REAL): ISO strings only sort right while
they all carry the same precision.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from hub.stores.inbox import QueueStat
from hub.stores.sqlite.db import SqliteDatabase, execute
from models.canned import CannedKind, CannedResponse
from models.conversations import Conversation
from models.errors import Conflict, NotFound

MIGRATIONS = [
    """
    ALTER TABLE conversations ADD COLUMN q_group TEXT
        GENERATED ALWAYS AS (json_extract(doc, '$.group')) VIRTUAL;
    ALTER TABLE conversations ADD COLUMN q_assignee TEXT
        GENERATED ALWAYS AS (json_extract(doc, '$.assignee')) VIRTUAL;
    ALTER TABLE conversations ADD COLUMN q_rank INTEGER GENERATED ALWAYS AS (
        CASE json_extract(doc, '$.priority') WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END
    ) VIRTUAL;
    ALTER TABLE conversations ADD COLUMN q_since REAL GENERATED ALWAYS AS (
        julianday(coalesce(json_extract(doc, '$.queued_at'), json_extract(doc, '$.updated_at')))
    ) VIRTUAL;
    ALTER TABLE conversations ADD COLUMN sla_due REAL
        GENERATED ALWAYS AS (julianday(json_extract(doc, '$.sla_next_due'))) VIRTUAL;
    ALTER TABLE conversations ADD COLUMN sla_breach INTEGER
        GENERATED ALWAYS AS (json_array_length(doc, '$.sla_breached') > 0) VIRTUAL;
    ALTER TABLE conversations ADD COLUMN follow_up_due REAL GENERATED ALWAYS AS (
        CASE json_extract(doc, '$.follow_up_state') WHEN 'scheduled' THEN julianday(json_extract(doc, '$.follow_up_at'))
        END
    ) VIRTUAL;
    ALTER TABLE conversations ADD COLUMN reminder_of TEXT GENERATED ALWAYS AS (
        CASE json_extract(doc, '$.follow_up_state') WHEN 'due' THEN json_extract(doc, '$.assignee') END
    ) VIRTUAL;
    CREATE INDEX conversations_queue ON conversations (q_group, q_rank, q_since, id) WHERE state = 'queued';
    CREATE INDEX conversations_waiting ON conversations (q_since, id) WHERE state = 'queued';
    CREATE INDEX conversations_assignee ON conversations (q_assignee, q_since, id) WHERE state = 'assigned';
    CREATE INDEX conversations_sla_due ON conversations (sla_due) WHERE state IN ('queued', 'assigned');
    CREATE INDEX conversations_breached ON conversations (q_group, q_since)
        WHERE state IN ('queued', 'assigned') AND sla_breach = 1;
    CREATE INDEX conversations_follow_up ON conversations (follow_up_due) WHERE follow_up_due IS NOT NULL;
    CREATE INDEX conversations_reminders ON conversations (reminder_of) WHERE reminder_of IS NOT NULL;
    CREATE TABLE inbox_routes (topic TEXT PRIMARY KEY, grp TEXT NOT NULL);
    CREATE TABLE inbox_operator_marks (user_id TEXT PRIMARY KEY, last_assigned REAL NOT NULL);
    CREATE TABLE canned_responses (
        id TEXT PRIMARY KEY,
        language TEXT NOT NULL,
        shortcut TEXT NOT NULL,
        kind TEXT NOT NULL,
        topic TEXT,
        version INTEGER NOT NULL,
        doc TEXT NOT NULL,
        UNIQUE (language, shortcut)
    );
    CREATE INDEX canned_topic ON canned_responses (language, topic, kind);
    """,
]

_WATCHED = "state IN ('queued', 'assigned')"


def _jd(at: datetime) -> str:
    """An instant as SQLite reads it (wrapped in julianday(?) by the queries)."""
    return at.astimezone(UTC).isoformat()


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def _group_filter(groups: Sequence[str] | None) -> tuple[str, tuple[Any, ...]]:
    if groups is None:
        return "", ()
    return f" AND q_group IN ({_marks(len(groups))})", tuple(groups)


def _convs(docs: list[Any]) -> list[Conversation]:
    return [Conversation.model_validate_json(d) for d in docs]


class SqliteInboxStore:
    """InboxStore on SQLite."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def queue(self, groups: Sequence[str], *, limit: int = 50, offset: int = 0) -> list[Conversation]:
        """Queued conversations of these groups, urgent first, then longest waiting."""
        if not groups:
            return []
        where, params = _group_filter(groups)
        return _convs(await self.db.column(
            f"SELECT doc FROM conversations INDEXED BY conversations_queue WHERE state = 'queued'{where}"
            " ORDER BY q_rank, q_since, id LIMIT ? OFFSET ?", (*params, limit, offset)))

    async def queue_stats(self, groups: Sequence[str] | None = None) -> list[QueueStat]:
        """Per group with anything queued: its length and oldest queue time."""
        where, params = _group_filter(groups)
        rows = await self.db.rows(
            "SELECT q_group, count(*), min(q_since) FROM conversations INDEXED BY conversations_queue"
            f" WHERE state = 'queued' AND q_group IS NOT NULL{where} GROUP BY q_group ORDER BY q_group", params)
        return [QueueStat(r[0], int(r[1]), _from_jd(r[2])) for r in rows]

    async def longest_waiting(self, groups: Sequence[str] | None = None, *, limit: int = 20) -> list[Conversation]:
        """Queued conversations by queue time."""
        where, params = _group_filter(groups)
        return _convs(await self.db.column(
            f"SELECT doc FROM conversations INDEXED BY conversations_waiting WHERE state = 'queued'{where}"
            " ORDER BY q_since, id LIMIT ?",
            (*params, limit)))

    async def assigned_to(self, user_id: str, *, limit: int = 200) -> list[Conversation]:
        """The operator's conversations, longest waiting first."""
        return _convs(await self.db.column(
            "SELECT doc FROM conversations INDEXED BY conversations_assignee"
            " WHERE state = 'assigned' AND q_assignee = ? ORDER BY q_since, id LIMIT ?", (user_id, limit)))

    async def reminders_for(self, user_id: str, *, limit: int = 50) -> list[Conversation]:
        """The operator's due follow-up reminders."""
        return _convs(await self.db.column(
            "SELECT doc FROM conversations WHERE reminder_of = ?"
            " ORDER BY json_extract(doc, '$.follow_up_at'), id LIMIT ?", (user_id, limit)))

    async def loads(self, user_ids: Sequence[str]) -> dict[str, int]:
        """Assigned conversations per operator."""
        if not user_ids:
            return {}
        rows = await self.db.rows(
            "SELECT q_assignee, count(*) FROM conversations INDEXED BY conversations_assignee"
            f" WHERE state = 'assigned' AND q_assignee IN ({_marks(len(user_ids))}) GROUP BY q_assignee",
            tuple(user_ids))
        return {r[0]: int(r[1]) for r in rows}

    async def sla_due(self, now: datetime, *, limit: int = 200) -> list[Conversation]:
        """Watched conversations whose next deadline has come."""
        return _convs(await self.db.column(
            f"SELECT doc FROM conversations INDEXED BY conversations_sla_due WHERE {_WATCHED}"
            " AND sla_due <= julianday(?) ORDER BY sla_due LIMIT ?",
            (_jd(now), limit)))

    async def breached(self, groups: Sequence[str] | None = None, *, limit: int = 50) -> list[Conversation]:
        """Watched conversations with a breach, longest waiting first."""
        where, params = _group_filter(groups)
        return _convs(await self.db.column(
            f"SELECT doc FROM conversations INDEXED BY conversations_breached WHERE {_WATCHED}"
            f" AND sla_breach = 1{where} ORDER BY q_since LIMIT ?",
            (*params, limit)))

    async def count_breached(self, groups: Sequence[str] | None = None) -> dict[str, int]:
        """Breached watched conversations per group."""
        where, params = _group_filter(groups)
        rows = await self.db.rows(
            f"SELECT q_group, count(*) FROM conversations INDEXED BY conversations_breached WHERE {_WATCHED}"
            f" AND sla_breach = 1{where}"
            " GROUP BY q_group", params)
        return {r[0]: int(r[1]) for r in rows if r[0] is not None}

    async def follow_ups_due(self, now: datetime, *, limit: int = 200) -> list[Conversation]:
        """Scheduled follow-ups whose time has come."""
        return _convs(await self.db.column(
            "SELECT doc FROM conversations WHERE follow_up_due IS NOT NULL AND follow_up_due <= julianday(?)"
            " ORDER BY follow_up_due LIMIT ?", (_jd(now), limit)))

    async def last_assigned(self, user_ids: Sequence[str]) -> dict[str, datetime]:
        """Last automatic or manual assignment per operator."""
        if not user_ids:
            return {}
        rows = await self.db.rows(
            f"SELECT user_id, last_assigned FROM inbox_operator_marks WHERE user_id IN ({_marks(len(user_ids))})",
            tuple(user_ids))
        return {r[0]: _from_jd(r[1]) or datetime.min.replace(tzinfo=UTC) for r in rows}

    async def mark_assigned(self, user_id: str, at: datetime) -> None:
        """Remember the operator's latest assignment (never moves backwards)."""
        await self.db.run(
            "INSERT INTO inbox_operator_marks (user_id, last_assigned) VALUES (?, julianday(?))"
            " ON CONFLICT(user_id) DO UPDATE SET last_assigned = max(last_assigned, excluded.last_assigned)",
            (user_id, _jd(at)))

    async def routes(self) -> dict[str, str]:
        """Topic → group overrides."""
        return {r[0]: r[1] for r in await self.db.rows("SELECT topic, grp FROM inbox_routes")}

    async def set_route(self, topic: str, group: str | None) -> None:
        """Set or remove one override."""
        if group is None:
            await self.db.run("DELETE FROM inbox_routes WHERE topic = ?", (topic,))
            return
        await self.db.run("INSERT INTO inbox_routes (topic, grp) VALUES (?, ?)"
                          " ON CONFLICT(topic) DO UPDATE SET grp = excluded.grp", (topic, group))

    async def save_canned(self, item: CannedResponse, *, expected_version: int | None = None) -> None:
        """Insert or replace (version+1); Conflict on a taken shortcut or a stale version."""
        previous = item.version
        item.version = (previous if expected_version is None else expected_version) + 1
        row = (item.language, item.shortcut, item.kind.value, item.topic, item.version, item.model_dump_json())
        try:
            async with self.db.transaction() as conn:
                if expected_version is None:
                    changed = await execute(
                        conn, "INSERT INTO canned_responses (language, shortcut, kind, topic, version, doc, id)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET language = excluded.language,"
                        " shortcut = excluded.shortcut, kind = excluded.kind, topic = excluded.topic,"
                        " version = excluded.version, doc = excluded.doc", (*row, item.id))
                else:
                    changed = await execute(
                        conn, "UPDATE canned_responses SET language = ?, shortcut = ?, kind = ?, topic = ?,"
                        " version = ?, doc = ? WHERE id = ? AND version = ?", (*row, item.id, expected_version))
        except sqlite3.IntegrityError as e:
            item.version = previous
            raise Conflict(f"shortcut {item.shortcut!r} is already used in {item.language}") from e
        if changed != 1:
            item.version = previous
            raise Conflict(f"canned response {item.id} changed since version {expected_version}")

    async def get_canned(self, item_id: str) -> CannedResponse:
        """One canned response, or NotFound."""
        doc = await self.db.one("SELECT doc FROM canned_responses WHERE id = ?", (item_id,))
        if doc is None:
            raise NotFound(f"canned response {item_id} not found")
        return CannedResponse.model_validate_json(doc)

    async def delete_canned(self, item_id: str) -> bool:
        """Remove one."""
        return await self.db.run("DELETE FROM canned_responses WHERE id = ?", (item_id,)) == 1

    async def search_canned(
        self, *, language: str, prefix: str = "", kind: CannedKind | None = None, topic: str | None = None,
        limit: int = 20,
    ) -> list[CannedResponse]:
        """By shortcut prefix (a range on the unique index), optionally of one kind and topic."""
        sql = "SELECT doc FROM canned_responses WHERE language = ? AND shortcut >= ? AND shortcut < ?"
        params: list[Any] = [language, prefix.lower(), prefix.lower() + "\U0010ffff"]
        if kind is not None:
            sql, params = sql + " AND kind = ?", [*params, kind.value]
        if topic is not None:
            sql, params = sql + " AND topic = ?", [*params, topic]
        docs = await self.db.column(sql + " ORDER BY shortcut LIMIT ?", (*params, limit))
        return [CannedResponse.model_validate_json(d) for d in docs]


def _from_jd(value: float | None) -> datetime | None:
    """A julian day back as an aware UTC instant (millisecond precision)."""
    if value is None:
        return None
    millis = round((value - 2440587.5) * 86_400_000)
    return datetime.fromtimestamp(millis / 1000, tz=UTC)
