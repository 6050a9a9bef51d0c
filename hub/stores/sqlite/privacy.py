"""PrivacyStore on the embedded SQLite file: the audit table, and erasure in one write transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hub.stores import anonymise
from hub.stores.sqlite.db import Connection, SqliteDatabase, execute, fetch_all
from models.cases import Case
from models.conversations import Conversation
from models.customers import Customer
from models.ids import CustomerId
from models.messages import Message
from models.privacy import AuditEntry, AuditQuery, Erasure

MIGRATIONS = [
    """
    CREATE TABLE privacy_audit (
        id TEXT PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        doc TEXT NOT NULL
    );
    CREATE INDEX privacy_audit_customer ON privacy_audit (customer_id, at);
    CREATE INDEX privacy_audit_actor ON privacy_audit (actor, at);
    CREATE INDEX privacy_audit_at ON privacy_audit (at);
    -- customers merged into one: erasing the survivor erases them too
    CREATE INDEX customers_merged_into ON customers (json_extract(doc, '$.merged_into'));
    """,
]


def _ts(at: datetime) -> str:
    """A fixed-width UTC form, so text order is time order."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SqlitePrivacyStore:
    """PrivacyStore on SQLite."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def open(self) -> None:
        """Nothing to do: the database migrates this feature's table when it opens."""

    async def record(self, entry: AuditEntry) -> None:
        """Append one entry (a repeated id is ignored)."""
        await self.db.run("INSERT OR IGNORE INTO privacy_audit (id, at, actor, customer_id, kind, doc)"
                          " VALUES (?, ?, ?, ?, ?, ?)",
                          (entry.id, _ts(entry.at), entry.actor, entry.customer_id, entry.kind.value,
                           entry.model_dump_json()))

    async def search(self, query: AuditQuery) -> list[AuditEntry]:
        """Newest first, through the customer, actor or time index."""
        where: list[str] = []
        params: list[Any] = []
        for column, value in (("customer_id", query.customer_id), ("actor", query.actor),
                              ("kind", query.kind.value if query.kind else None)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if query.since is not None:
            where.append("at >= ?")
            params.append(_ts(query.since))
        if query.until is not None:
            where.append("at < ?")
            params.append(_ts(query.until))
        sql = "SELECT doc FROM privacy_audit" + (" WHERE " + " AND ".join(where) if where else "")
        docs = await self.db.column(sql + " ORDER BY at DESC, id DESC LIMIT ?", (*params, query.limit), offloop=True)
        return [AuditEntry.model_validate_json(d) for d in docs]

    async def conversations_of(self, customer_id: CustomerId) -> list[Conversation]:
        """Oldest first."""
        docs = await self.db.column("SELECT doc FROM conversations WHERE customer_id = ? ORDER BY updated_at",
                                    (customer_id,))
        return sorted((Conversation.model_validate_json(d) for d in docs), key=lambda c: c.created_at)

    async def messages_of(self, customer_id: CustomerId, *, after: int, limit: int) -> list[tuple[int, Message]]:
        """In stored order, through the (customer_id, seq) index."""
        rows = await self.db.rows("SELECT seq, doc FROM messages WHERE customer_id = ? AND seq > ? ORDER BY seq"
                                  " LIMIT ?", (customer_id, after, limit), offloop=True)
        return [(int(r[0]), Message.model_validate_json(r[1])) for r in rows]

    async def cases_of(self, customer_id: CustomerId) -> list[Case]:
        """Oldest first."""
        docs = await self.db.column("SELECT doc FROM cases WHERE customer_id = ? ORDER BY number", (customer_id,))
        return [Case.model_validate_json(d) for d in docs]

    async def messages_after(self, after: int, *, limit: int) -> list[tuple[int, Message]]:
        """In stored order, through the primary key."""
        rows = await self.db.rows("SELECT seq, doc FROM messages WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit),
                                  offloop=True)
        return [(int(r[0]), Message.model_validate_json(r[1])) for r in rows]

    async def replace_messages(self, messages: list[Message]) -> None:
        """One transaction for the batch."""
        async with self.db.transaction() as conn:
            for m in messages:
                await execute(conn, "UPDATE messages SET external_id = ?, doc = ? WHERE id = ?",
                              (m.external_id, m.model_dump_json(), m.id))

    async def erase(self, erased: Customer, *, at: datetime) -> Erasure:
        """Every table in one transaction: all of it happens, or none."""
        async with self.db.transaction() as conn:
            ids = [erased.id, *await self._merged_into(conn, erased.id)]
            result = Erasure(customer_id=erased.id)
            for customer_id in ids:
                await self._erase_one(conn, customer_id, at, result)
            return result

    async def _merged_into(self, conn: Connection, customer_id: str) -> list[str]:
        sql = "SELECT id FROM customers WHERE json_extract(doc, '$.merged_into') = ?"
        return [str(r[0]) for r in await fetch_all(conn, sql, (customer_id,))]

    async def _erase_one(self, conn: Connection, customer_id: str, at: datetime, result: Erasure) -> None:
        for row in await _all(conn, "SELECT doc FROM customers WHERE id = ?", (customer_id,)):
            found = Customer.model_validate_json(row[0])
            after = anonymise.customer(found, at).model_copy(update={"version": found.version + 1})
            await execute(conn, "UPDATE customers SET version = ?, doc = ? WHERE id = ?",
                          (after.version, after.model_dump_json(), customer_id))
        result.identities += await execute(conn, "DELETE FROM identities WHERE customer_id = ?", (customer_id,))
        await _erase_messages(conn, customer_id, result)
        await _erase_conversations(conn, customer_id, result)
        await _erase_cases(conn, customer_id, result)
        result.claims += await execute(conn, "DELETE FROM claims WHERE customer_id = ?", (customer_id,))
        await execute(conn, "DELETE FROM challenges WHERE customer_id = ?", (customer_id,))


async def _erase_messages(conn: Connection, customer_id: str, result: Erasure) -> None:
    for row in await _all(conn, "SELECT doc FROM messages WHERE customer_id = ?", (customer_id,)):
        message = Message.model_validate_json(row[0])
        changed = anonymise.message(message)
        if changed != message:
            result.messages += 1
            result.files += anonymise.message_files(message)
            await execute(conn, "UPDATE messages SET external_id = ?, doc = ? WHERE id = ?",
                          (changed.external_id, changed.model_dump_json(), message.id))


async def _erase_conversations(conn: Connection, customer_id: str, result: Erasure) -> None:
    for row in await _all(conn, "SELECT doc FROM conversations WHERE customer_id = ?", (customer_id,)):
        conversation = Conversation.model_validate_json(row[0])
        changed = anonymise.conversation(conversation)
        if changed != conversation:
            result.conversations += 1
            changed.version = conversation.version + 1  # a concurrent writer must reload, not overwrite
            await execute(conn, "UPDATE conversations SET version = ?, doc = ? WHERE id = ?",
                          (changed.version, changed.model_dump_json(), conversation.id))
        result.dialog_states += await execute(conn, "DELETE FROM dialog_states WHERE conversation_id = ?",
                                              (conversation.id,))


async def _erase_cases(conn: Connection, customer_id: str, result: Erasure) -> None:
    for row in await _all(conn, "SELECT doc FROM cases WHERE customer_id = ?", (customer_id,)):
        case = Case.model_validate_json(row[0])
        changed = anonymise.case(case)
        if changed != case:
            result.cases += 1
            result.files += anonymise.case_files(case)
            changed.version = case.version + 1
            await execute(conn, "UPDATE cases SET version = ?, doc = ? WHERE id = ?",
                          (changed.version, changed.model_dump_json(), case.id))


async def _all(conn: Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
    return list(await fetch_all(conn, sql, params))

