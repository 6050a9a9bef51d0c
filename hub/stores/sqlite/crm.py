"""The CRM API's queries and moves on SQLite (feature "crm")."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from hub.stores.crm import ConversationQuery, PageKey
from hub.stores.sqlite.db import Connection, SqliteDatabase, execute, fetch_one
from models.conversations import Conversation
from models.customers import Customer, emptied, merge_needed, merged_profile
from models.errors import NotFound
from models.ids import CustomerId

MIGRATIONS = [
    # 1: the stable order of conversation pages
    """
    CREATE INDEX conversations_updated_id ON conversations(updated_at, id);
    """,
]


def _where(query: ConversationQuery, after: PageKey | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if query.states:
        clauses.append(f"state IN ({', '.join('?' * len(query.states))})")
        params += sorted(s.value for s in query.states)
    for path, value in (("$.channel", query.channel), ("$.group", query.group), ("$.topic", query.topic)):
        if value is not None:
            clauses.append(f"json_extract(doc, '{path}') = ?")
            params.append(value)
    if query.customer_id is not None:
        clauses.append("customer_id = ?")
        params.append(query.customer_id)
    if query.updated_after is not None:
        clauses.append("updated_at > ?")
        params.append(query.updated_after.astimezone(UTC).isoformat())
    if after is not None:  # the column holds updated_at.isoformat() of UTC times: text order is time order
        clauses.append("(updated_at > ? OR (updated_at = ? AND id > ?))")
        stamp = after[0].astimezone(UTC).isoformat()
        params += [stamp, stamp, after[1]]
    return " AND ".join(clauses) or "1", params


async def _customer(conn: Connection, customer_id: CustomerId) -> Customer:
    row = await fetch_one(conn, "SELECT doc FROM customers WHERE id = ?", (customer_id,))
    if row is None:
        raise NotFound(f"customer {customer_id} not found")
    return Customer.model_validate_json(row[0])


async def _write(conn: Connection, customer: Customer) -> None:
    await execute(conn, "UPDATE customers SET doc = ?, version = ? WHERE id = ?",
                  (customer.model_dump_json(), customer.version, customer.id))


class SqliteCrmStore:
    """CrmStore on SQLite."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def conversations_page(
        self, query: ConversationQuery, *, after: PageKey | None, limit: int
    ) -> list[Conversation]:
        """Matching conversations in (updated_at, id) order, after `after`."""
        where, params = _where(query, after)
        docs = await self.db.column(
            f"SELECT doc FROM conversations WHERE {where} ORDER BY updated_at, id LIMIT ?", (*params, limit),
            offloop=True)
        return [Conversation.model_validate_json(d) for d in docs]

    async def merge_customers(self, survivor: CustomerId, merged: CustomerId) -> Customer:
        """Move the identities and mark the merged customer, in one transaction."""
        async with self.db.transaction() as conn:
            keeper, gone = await _customer(conn, survivor), await _customer(conn, merged)
            if not merge_needed(keeper, gone):
                return keeper
            keeper = merged_profile(keeper, gone)
            await execute(conn, "UPDATE identities SET customer_id = ? WHERE customer_id = ?", (survivor, merged))
            await _write(conn, keeper)
            await _write(conn, emptied(gone, survivor))
        return keeper

    async def move_messages(self, from_customer: CustomerId, to_customer: CustomerId) -> int:
        """Re-own the messages, column and document alike."""
        return await self.db.run(
            "UPDATE messages SET customer_id = ?, doc = json_set(doc, '$.customer_id', ?) WHERE customer_id = ?",
            (to_customer, to_customer, from_customer))
