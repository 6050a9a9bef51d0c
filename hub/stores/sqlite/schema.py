"""The core SQLite schema migrations (customers, conversations, messages, cursors), applied in order on
open; the table schema_versions records how far each feature got.

Append new migrations; never edit one that has shipped. A new feature keeps its own list beside its
adapter and registers it with SqliteDatabase under its own name.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: documents with the columns we look them up by
    """
    CREATE TABLE customers (
        id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        doc TEXT NOT NULL
    );
    CREATE TABLE identities (
        key TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customers(id)
    );
    CREATE INDEX identities_customer ON identities(customer_id);
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL,
        state TEXT NOT NULL,
        open_key TEXT UNIQUE,            -- customer id while not closed: one such per customer
        updated_at TEXT NOT NULL,
        version INTEGER NOT NULL,
        doc TEXT NOT NULL
    );
    CREATE INDEX conversations_customer ON conversations(customer_id, updated_at);
    CREATE INDEX conversations_state ON conversations(state, updated_at);
    CREATE TABLE messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        conversation_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        direction TEXT NOT NULL,
        channel TEXT NOT NULL,
        account_id TEXT NOT NULL,
        external_id TEXT,
        idempotency_key TEXT UNIQUE,
        doc TEXT NOT NULL,
        UNIQUE (channel, account_id, direction, external_id)
    );
    CREATE INDEX messages_conversation ON messages(conversation_id, seq);
    CREATE INDEX messages_customer ON messages(customer_id, seq);
    """,
    # 2: positions of long-running readers (IMAP UIDs)
    """
    CREATE TABLE cursors (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 3: what reports count of an inbound message's NLU reading (1 out of scope, 2 a close call answered in
    # scope, 0 otherwise or unread), kept in an index so counting a conversation never parses its documents
    """
    ALTER TABLE messages ADD COLUMN nlu_reading INTEGER GENERATED ALWAYS AS (
        CASE WHEN json_extract(doc, '$.nlu.out_of_scope') = 1 THEN 1
             WHEN json_extract(doc, '$.nlu.close_call') = 1 THEN 2 ELSE 0 END) VIRTUAL;
    CREATE INDEX messages_readings ON messages(conversation_id, direction, nlu_reading);
    """,
]
