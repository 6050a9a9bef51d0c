"""Embedded store on one SQLite file (WAL): zero set-up, persistent, one process.

Rows keep the pydantic document as JSON next to the columns we query, so the adapter maps little.
Writes go through one lock: a shared connection must never interleave two transactions.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from hub.stores.sqlite import cases, claims, crm, dialog_state, directory, inbox, tokens, webhooks
from hub.stores.sqlite import privacy as privacy_sqlite
from hub.stores.sqlite.db import SqliteDatabase, execute, execute_many, fetch_one
from hub.stores.sqlite.schema import MIGRATIONS
from models.channels import Channel
from models.conversations import Conversation, ConversationState
from models.customers import Customer, Identity
from models.errors import Conflict, NotFound
from models.ids import ConversationId, CustomerId, MessageId
from models.messages import Attachment, DeliveryStatus, Direction, InboundTally, Message, apply_edit
from models.nlu import ParseResult


class SqliteCustomerStore:
    """CustomerStore on SQLite."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def get(self, customer_id: CustomerId) -> Customer:
        """The customer, or NotFound."""
        doc = await self.db.one("SELECT doc FROM customers WHERE id = ?", (customer_id,))
        if doc is None:
            raise NotFound(f"customer {customer_id} not found")
        return Customer.model_validate_json(doc)

    async def find_by_identity(self, identity: Identity) -> Customer | None:
        """The customer this identity is linked to, if any."""
        doc = await self.db.one(
            "SELECT c.doc FROM identities i JOIN customers c ON c.id = i.customer_id WHERE i.key = ?",
            (identity.key,),
        )
        return None if doc is None else Customer.model_validate_json(doc)

    async def create(self, customer: Customer) -> None:
        """Insert with its identities; Conflict if any identity is taken."""
        try:
            async with self.db.transaction() as conn:
                await execute(
                    conn, "INSERT INTO customers (id, version, doc) VALUES (?, ?, ?)",
                    (customer.id, customer.version, customer.model_dump_json()),
                )
                await execute_many(
                    conn, "INSERT INTO identities (key, customer_id) VALUES (?, ?)",
                    [(i.key, customer.id) for i in customer.identities],
                )
        except sqlite3.IntegrityError as e:
            raise Conflict(f"customer {customer.id}: identity or id already taken") from e

    async def link(self, customer_id: CustomerId, identity: Identity) -> None:
        """Link an identity to the customer; Conflict if it is someone else's."""
        async with self.db.transaction() as conn:
            row = await fetch_one(conn, "SELECT customer_id FROM identities WHERE key = ?", (identity.key,))
            if row is not None:
                if row[0] != customer_id:
                    raise Conflict(f"identity {identity.key} belongs to another customer")
                return
            doc_row = await fetch_one(conn, "SELECT doc FROM customers WHERE id = ?", (customer_id,))
            if doc_row is None:
                raise NotFound(f"customer {customer_id} not found")
            customer = Customer.model_validate_json(doc_row[0])
            customer.identities.append(identity)
            customer.version += 1
            await execute(conn, "INSERT INTO identities (key, customer_id) VALUES (?, ?)", (identity.key, customer_id))
            await execute(
                conn, "UPDATE customers SET doc = ?, version = ? WHERE id = ?",
                (customer.model_dump_json(), customer.version, customer_id),
            )


    async def set_attributes(self, customer_id: CustomerId, patch: dict[str, Any]) -> Customer:
        """Merge into the attributes; None removes a key."""
        async with self.db.transaction() as conn:
            row = await fetch_one(conn, "SELECT doc FROM customers WHERE id = ?", (customer_id,))
            if row is None:
                raise NotFound(f"customer {customer_id} not found")
            customer = Customer.model_validate_json(row[0])
            customer.attributes = merge_attributes(customer.attributes, patch)
            customer.version += 1
            await execute(conn, "UPDATE customers SET doc = ?, version = ? WHERE id = ?",
                          (customer.model_dump_json(), customer.version, customer_id))
        return customer

    async def name_if_unnamed(self, customer_id: CustomerId, name: str) -> Customer:
        """Set the name only while the customer has none; the customer as stored after."""
        async with self.db.transaction() as conn:
            row = await fetch_one(conn, "SELECT doc FROM customers WHERE id = ?", (customer_id,))
            if row is None:
                raise NotFound(f"customer {customer_id} not found")
            customer = Customer.model_validate_json(row[0])
            if customer.name:
                return customer
            customer.name = name
            customer.version += 1
            await execute(conn, "UPDATE customers SET doc = ?, version = ? WHERE id = ?",
                          (customer.model_dump_json(), customer.version, customer_id))
        return customer


def merge_attributes(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """`current` updated by `patch`, where a None value removes the key."""
    merged = {**current, **patch}
    return {k: v for k, v in merged.items() if v is not None}


def _open_key(conversation: Conversation) -> str | None:
    return None if conversation.state is ConversationState.CLOSED else conversation.customer_id


class SqliteConversationStore:
    """ConversationStore on SQLite."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def get(self, conversation_id: ConversationId) -> Conversation:
        """The conversation, or NotFound."""
        doc = await self.db.one("SELECT doc FROM conversations WHERE id = ?", (conversation_id,))
        if doc is None:
            raise NotFound(f"conversation {conversation_id} not found")
        return Conversation.model_validate_json(doc)

    async def current_for(self, customer_id: CustomerId) -> Conversation | None:
        """The customer's conversation that is not closed, if any."""
        doc = await self.db.one("SELECT doc FROM conversations WHERE open_key = ?", (customer_id,))
        return None if doc is None else Conversation.model_validate_json(doc)

    async def create(self, conversation: Conversation) -> None:
        """Insert; Conflict if the customer already has one that is not closed."""
        try:
            async with self.db.transaction() as conn:
                await execute(
                    conn, "INSERT INTO conversations (id, customer_id, state, open_key, updated_at, version, doc)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (conversation.id, conversation.customer_id, conversation.state, _open_key(conversation),
                     conversation.updated_at.isoformat(), conversation.version, conversation.model_dump_json()),
                )
        except sqlite3.IntegrityError as e:
            raise Conflict(f"customer {conversation.customer_id} already has an open conversation") from e

    async def save(self, conversation: Conversation, *, expected_version: int) -> None:
        """Write back with version+1; Conflict if stale."""
        conversation.version = expected_version + 1
        try:
            async with self.db.transaction() as conn:
                updated = await execute(
                    conn, "UPDATE conversations SET state = ?, open_key = ?, updated_at = ?, version = ?, doc = ?,"
                    " customer_id = ? WHERE id = ? AND version = ?",  # a merge moves conversations between customers
                    (conversation.state, _open_key(conversation), conversation.updated_at.isoformat(),
                     conversation.version, conversation.model_dump_json(), conversation.customer_id, conversation.id,
                     expected_version),
                )
        except sqlite3.IntegrityError as e:
            conversation.version = expected_version
            raise Conflict(f"customer {conversation.customer_id} already has an open conversation") from e
        if updated != 1:
            conversation.version = expected_version
            raise Conflict(f"conversation {conversation.id} changed since version {expected_version}")

    async def page(self, *, after: str = "", limit: int = 500) -> list[Conversation]:
        """Every conversation in id order, after id `after`."""
        docs = await self.db.column("SELECT doc FROM conversations WHERE id > ? ORDER BY id LIMIT ?", (after, limit),
                                    offloop=True)
        return [Conversation.model_validate_json(d) for d in docs]

    async def list_for_customer(self, customer_id: CustomerId, *, limit: int = 50) -> list[Conversation]:
        """Newest first."""
        docs = await self.db.column(
            "SELECT doc FROM conversations WHERE customer_id = ? ORDER BY updated_at DESC LIMIT ?",
            (customer_id, limit),
        )
        return [Conversation.model_validate_json(d) for d in docs]


class SqliteMessageStore:
    """MessageStore on SQLite."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def add(self, message: Message) -> bool:
        """Insert; False if the same inbound external id or outbound key is already stored."""
        inserted = await self.db.run(
                "INSERT OR IGNORE INTO messages (id, conversation_id, customer_id, direction, channel,"
                " account_id, external_id, idempotency_key, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (message.id, message.conversation_id, message.customer_id, message.direction, message.channel,
                 message.account_id, message.external_id, message.idempotency_key, message.model_dump_json()),
            )
        return inserted == 1

    async def get(self, message_id: MessageId) -> Message:
        """The message, or NotFound."""
        doc = await self.db.one("SELECT doc FROM messages WHERE id = ?", (message_id,))
        if doc is None:
            raise NotFound(f"message {message_id} not found")
        return Message.model_validate_json(doc)

    async def find_external(
        self, channel: Channel, account_id: str, direction: Direction, external_id: str
    ) -> Message | None:
        """The message a channel knows by this id."""
        doc = await self.db.one(
            "SELECT doc FROM messages WHERE channel = ? AND account_id = ? AND direction = ? AND external_id = ?",
            (channel, account_id, direction, external_id),
        )
        return None if doc is None else Message.model_validate_json(doc)

    async def find_by_key(self, idempotency_key: str) -> Message | None:
        """The outbound message sent under this key."""
        doc = await self.db.one("SELECT doc FROM messages WHERE idempotency_key = ?", (idempotency_key,))
        return None if doc is None else Message.model_validate_json(doc)

    async def list_for_conversation(
        self, conversation_id: ConversationId, *, limit: int = 200
    ) -> list[Message]:
        """Oldest first (the last `limit`)."""
        docs = await self.db.column(
            "SELECT doc FROM (SELECT seq, doc FROM messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?)"
            " ORDER BY seq",
            (conversation_id, limit),
        )
        return [Message.model_validate_json(d) for d in docs]

    async def inbound_tally(self, conversation_id: ConversationId) -> InboundTally:
        """Counts from the messages_readings index (no document is parsed; the total is a covering-index count,
        the two readings' counts visit only their own rows); the first text by the messages_conversation order."""
        (count, fallbacks, unsure, first), = await self.db.rows(  # one statement: one trip to the thread
            "SELECT (SELECT count(*) FROM messages WHERE conversation_id = ?1 AND direction = 'inbound'),"
            " (SELECT count(*) FROM messages WHERE conversation_id = ?1 AND direction = 'inbound' AND nlu_reading = 1),"
            " (SELECT count(*) FROM messages WHERE conversation_id = ?1 AND direction = 'inbound' AND nlu_reading = 2),"
            " (SELECT json_extract(doc, '$.text') FROM messages WHERE conversation_id = ?1 AND direction = 'inbound'"
            " ORDER BY seq LIMIT 1)",
            (conversation_id,))
        return InboundTally(messages=int(count), fallbacks=int(fallbacks), unsure=int(unsure),
                            first_text=str(first or ""))

    async def list_for_customer(self, customer_id: CustomerId, *, limit: int = 200) -> list[Message]:
        """Oldest first (the last `limit`)."""
        docs = await self.db.column(
            "SELECT doc FROM (SELECT seq, doc FROM messages WHERE customer_id = ? ORDER BY seq DESC LIMIT ?)"
            " ORDER BY seq",
            (customer_id, limit),
        )
        return [Message.model_validate_json(d) for d in docs]

    async def set_status(
        self, message_id: MessageId, status: DeliveryStatus, *, reason: str | None = None,
        external_id: str | None = None,
    ) -> None:
        """Record a delivery status; NotFound if the message is absent."""
        patch: dict[str, Any] = {"status": status.value, "status_reason": reason}
        if external_id is not None:
            patch["external_id"] = external_id
        try:
            changed = await self.db.run(
                "UPDATE messages SET doc = json_patch(doc, ?), external_id = coalesce(?, external_id) WHERE id = ?",
                (json.dumps(patch), external_id, message_id),
            )
        except sqlite3.IntegrityError as e:
            raise Conflict(f"another message already has external id {external_id}") from e
        if changed != 1:
            raise NotFound(f"message {message_id} not found")

    async def edit(
        self, channel: Channel, account_id: str, external_id: str, text: str, attachments: list[Attachment],
        *, at: datetime,
    ) -> Message | None:
        """Replace the inbound message's content, keeping its earlier text."""
        async with self.db.transaction() as conn:
            row = await fetch_one(
                conn, "SELECT doc FROM messages WHERE channel = ? AND account_id = ? AND direction = 'inbound'"
                      " AND external_id = ?", (channel, account_id, external_id))
            if row is None:
                return None
            message = Message.model_validate_json(row[0])
            if not apply_edit(message, text, attachments, at):
                return message
            await execute(conn, "UPDATE messages SET doc = ? WHERE id = ?", (message.model_dump_json(), message.id))
        return message

    async def last_inbound_at(self, customer_id: CustomerId, channel: Channel, account_id: str) -> datetime | None:
        """The latest inbound sent_at of this customer on this channel account."""
        doc = await self.db.one(
            "SELECT doc FROM messages WHERE customer_id = ? AND channel = ? AND account_id = ?"
            " AND direction = 'inbound' ORDER BY seq DESC LIMIT 1", (customer_id, channel, account_id),
        )
        return None if doc is None else Message.model_validate_json(doc).sent_at

    async def mark_handled(self, message_id: MessageId) -> None:
        """Flag the inbound message as fully handled."""
        await self.db.run(
            "UPDATE messages SET doc = json_set(doc, '$.handled', json('true')) WHERE id = ?", (message_id,)
        )

    async def claim_send(self, message_id: MessageId, claim: str, *, until: datetime, now: datetime) -> bool:
        """One UPDATE: pending, and unclaimed or claimed by `claim` or past its claim's time."""
        changed = await self.db.run(
            "UPDATE messages SET doc = json_set(doc, '$.send_claim', ?, '$.send_claim_until', ?) WHERE id = ? "
            "AND json_extract(doc, '$.status') = 'pending' AND (json_extract(doc, '$.send_claim') IS NULL "
            "OR json_extract(doc, '$.send_claim') = ? OR json_extract(doc, '$.send_claim_until') < ?)",
            (claim, _instant(until), message_id, claim, _instant(now)),
        )
        return changed == 1

    async def set_nlu(self, message_id: MessageId, result: ParseResult) -> None:
        """Store the NLU reading; NotFound if the message is absent."""
        await self._set_field(message_id, "nlu", result.model_dump_json())

    async def _set_field(self, message_id: MessageId, field: str, value_json: str) -> None:
        """Set one field of the stored message to a JSON value; NotFound if the message is absent."""
        changed = await self.db.run(f"UPDATE messages SET doc = json_set(doc, '$.{field}', json(?)) WHERE id = ?",
                                    (value_json, message_id))
        if changed != 1:
            raise NotFound(f"message {message_id} not found")

    async def list_unsure(self, *, limit: int = 200) -> list[Message]:
        """Inbound messages read as out of scope or as a close call, newest first (a scan: a review tool)."""
        docs = await self.db.column(
            "SELECT doc FROM messages WHERE direction = 'inbound' AND (json_extract(doc, '$.nlu.out_of_scope') = 1"
            " OR json_extract(doc, '$.nlu.close_call') = 1) ORDER BY seq DESC LIMIT ?", (limit,))
        return [Message.model_validate_json(doc) for doc in docs]

    async def set_corrected_topic(self, message_id: MessageId, topic: str | None) -> None:
        """Store the operator's topic for the message; NotFound if the message is absent."""
        await self._set_field(message_id, "corrected_topic", json.dumps(topic))

    async def list_corrected(self, *, limit: int = 200) -> list[Message]:
        """Inbound messages an operator corrected, newest first (a scan: a review tool)."""
        docs = await self.db.column(
            "SELECT doc FROM messages WHERE direction = 'inbound'"
            " AND json_extract(doc, '$.corrected_topic') IS NOT NULL ORDER BY seq DESC LIMIT ?", (limit,))
        return [Message.model_validate_json(doc) for doc in docs]

    async def count(self) -> int:
        """How many messages are stored."""
        return int(await self.db.one("SELECT count(*) FROM messages", offloop=True))


class SqliteCursorStore:
    """CursorStore on SQLite."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def get(self, name: str) -> str | None:
        """The saved position, if any."""
        value = await self.db.one("SELECT value FROM cursors WHERE name = ?", (name,))
        return None if value is None else str(value)

    async def set(self, name: str, value: str) -> None:
        """Save the position."""
        await self.db.run(
            "INSERT INTO cursors (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (name, value),
        )


class SqliteStores:
    """All stores on one SQLite file."""

    def __init__(self, path: str) -> None:
        self.db = SqliteDatabase(path, {"core": MIGRATIONS, "tokens": tokens.MIGRATIONS,
                                        "crm": crm.MIGRATIONS, "webhooks": webhooks.MIGRATIONS,
                                        "dialog_state": dialog_state.MIGRATIONS,
                                        "directory": directory.MIGRATIONS,
                                        "inbox": inbox.MIGRATIONS,
                                        "cases": cases.MIGRATIONS,
                                        "claims": claims.MIGRATIONS,  # after core: it indexes conversations
                                        "privacy": privacy_sqlite.MIGRATIONS})
        self.customers = SqliteCustomerStore(self.db)
        self.conversations = SqliteConversationStore(self.db)
        self.messages = SqliteMessageStore(self.db)
        self.cursors = SqliteCursorStore(self.db)
        self.tokens = tokens.SqliteTokenStore(self.db)
        self.crm = crm.SqliteCrmStore(self.db)
        self.webhooks = webhooks.SqliteWebhookStore(self.db)
        self.dialog_states = dialog_state.SqliteDialogStateStore(self.db)
        self.directory = directory.SqliteDirectoryStore(self.db)
        self.inbox = inbox.SqliteInboxStore(self.db)
        self.cases = cases.SqliteCaseStore(self.db)
        self.claims = claims.SqliteClaimStore(self.db)
        self.privacy = privacy_sqlite.SqlitePrivacyStore(self.db)

    async def open(self) -> None:
        """Connect and migrate."""
        await self.db.open()

    async def close(self) -> None:
        """Close the file."""
        await self.db.close()

    async def ping(self) -> None:
        """Unavailable unless the file takes a write: `SELECT 1` answers while another process holds the write
        lock, and the worker would then spend an entry's bus attempts instead of retrying it in place."""
        async with self.db.transaction():
            pass


def _instant(at: datetime) -> str:
    """A send claim's time as text that sorts as time does (always with microseconds)."""
    return at.isoformat(timespec="microseconds")
