"""Production store on MongoDB through PyMongo's async client (`AsyncMongoClient`).

Documents are the pydantic models dumped in python mode with `_id` = the model's id, so datetimes are
BSON dates (millisecond precision; read back timezone-aware because the client uses tz_aware=True).
Uniqueness lives in indexes created by `open()`, and DuplicateKeyError becomes Conflict (or False).

Every unique index is partial on `{field: {"$type": "string"}}` so null / empty values never collide.
The planner cannot prove that `{field: value}` implies that `$type` filter, so queries aimed at those
indexes repeat it (`is_string(value)`), or they would scan the collection.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import ConnectionFailure, DuplicateKeyError, PyMongoError

from hub.stores.mongo.cases import MongoCaseStore
from hub.stores.mongo.claims import MongoClaimStore
from hub.stores.mongo.crm import MongoCrmStore
from hub.stores.mongo.db import STRING, Doc, MongoDatabase, dump_model, is_string, load_model
from hub.stores.mongo.dialog_state import MongoDialogStateStore
from hub.stores.mongo.directory import MongoDirectoryStore
from hub.stores.mongo.inbox import MongoInboxStore
from hub.stores.mongo.privacy import MongoPrivacyStore
from hub.stores.mongo.tokens import MongoTokenStore
from hub.stores.mongo.webhooks import MongoWebhookStore
from models.channels import Channel
from models.conversations import Conversation, ConversationState
from models.customers import Customer, Identity
from models.errors import Conflict, NotFound, Unavailable
from models.ids import ConversationId, CustomerId, MessageId
from models.messages import Attachment, DeliveryStatus, Direction, InboundTally, Message, apply_edit
from models.nlu import ParseResult


class MongoCustomerStore:
    """CustomerStore on MongoDB; `identity_keys` (Identity.key strings) carries the unique index."""

    def __init__(self, db: MongoDatabase) -> None:
        self.db = db

    @property
    def _coll(self) -> AsyncCollection[Doc]:
        return self.db.collection("customers")

    async def get(self, customer_id: CustomerId) -> Customer:
        """The customer, or NotFound."""
        doc = await self._coll.find_one({"_id": customer_id})
        if doc is None:
            raise NotFound(f"customer {customer_id} not found")
        return load_model(Customer, doc)

    async def find_by_identity(self, identity: Identity) -> Customer | None:
        """The customer this identity is linked to, if any."""
        doc = await self._coll.find_one({"identity_keys": is_string(identity.key)})
        return None if doc is None else load_model(Customer, doc)

    async def create(self, customer: Customer) -> None:
        """Insert (one atomic document); Conflict if any identity or the id is taken."""
        doc = dump_model(customer, identity_keys=[i.key for i in customer.identities])
        try:
            await self._coll.insert_one(doc)
        except DuplicateKeyError as e:
            raise Conflict(f"customer {customer.id}: identity or id already taken") from e

    async def link(self, customer_id: CustomerId, identity: Identity) -> None:
        """Link an identity to the customer; Conflict if it is someone else's."""
        owner = await self._coll.find_one({"identity_keys": is_string(identity.key)}, {"_id": 1})
        if owner is not None:
            if owner["_id"] != customer_id:
                raise Conflict(f"identity {identity.key} belongs to another customer")
            return
        try:
            # `$ne` keeps a concurrent link of the same identity from pushing it twice
            result = await self._coll.update_one(
                {"_id": customer_id, "identity_keys": {"$ne": identity.key}},
                {"$push": {"identities": identity.model_dump(mode="python")},
                 "$addToSet": {"identity_keys": identity.key}, "$inc": {"version": 1}},
            )
        except DuplicateKeyError as e:  # another customer took it since our check
            raise Conflict(f"identity {identity.key} belongs to another customer") from e
        if result.matched_count == 0 and await self._coll.find_one({"_id": customer_id}, {"_id": 1}) is None:
            raise NotFound(f"customer {customer_id} not found")


    async def set_attributes(self, customer_id: CustomerId, patch: dict[str, Any]) -> Customer:
        """Merge into the attributes atomically; None removes a key."""
        update: Doc = {"$inc": {"version": 1}}
        sets = {f"attributes.{k}": v for k, v in patch.items() if v is not None}
        unsets = {f"attributes.{k}": "" for k, v in patch.items() if v is None}
        if sets:
            update["$set"] = sets
        if unsets:
            update["$unset"] = unsets
        doc = await self._coll.find_one_and_update(
            {"_id": customer_id}, update, return_document=ReturnDocument.AFTER
        )
        if doc is None:
            raise NotFound(f"customer {customer_id} not found")
        return load_model(Customer, doc)

    async def name_if_unnamed(self, customer_id: CustomerId, name: str) -> Customer:
        """Set the name only while the customer has none (one atomic update); the customer as stored after."""
        doc = await self._coll.find_one_and_update(
            {"_id": customer_id, "name": {"$in": [None, ""]}},  # None also matches a document without the field
            {"$set": {"name": name}, "$inc": {"version": 1}}, return_document=ReturnDocument.AFTER)
        return await self.get(customer_id) if doc is None else load_model(Customer, doc)


def _open_key(conversation: Conversation) -> str | None:
    """The customer id while the conversation is not closed: unique, so one such per customer."""
    return None if conversation.state is ConversationState.CLOSED else conversation.customer_id


class MongoConversationStore:
    """ConversationStore on MongoDB; optimistic concurrency on `version`."""

    def __init__(self, db: MongoDatabase) -> None:
        self.db = db

    @property
    def _coll(self) -> AsyncCollection[Doc]:
        return self.db.collection("conversations")

    async def get(self, conversation_id: ConversationId) -> Conversation:
        """The conversation, or NotFound."""
        doc = await self._coll.find_one({"_id": conversation_id})
        if doc is None:
            raise NotFound(f"conversation {conversation_id} not found")
        return load_model(Conversation, doc)

    async def current_for(self, customer_id: CustomerId) -> Conversation | None:
        """The customer's conversation that is not closed, if any."""
        doc = await self._coll.find_one({"open_key": is_string(customer_id)})
        return None if doc is None else load_model(Conversation, doc)

    async def create(self, conversation: Conversation) -> None:
        """Insert; Conflict if the customer already has one that is not closed."""
        try:
            await self._coll.insert_one(dump_model(conversation, open_key=_open_key(conversation)))
        except DuplicateKeyError as e:
            raise Conflict(f"customer {conversation.customer_id} already has an open conversation") from e

    async def save(self, conversation: Conversation, *, expected_version: int) -> None:
        """Write back with version+1; Conflict if stale."""
        conversation.version = expected_version + 1
        try:
            result = await self._coll.replace_one(
                {"_id": conversation.id, "version": expected_version},
                dump_model(conversation, open_key=_open_key(conversation)),
            )
        except DuplicateKeyError as e:
            conversation.version = expected_version
            raise Conflict(f"customer {conversation.customer_id} already has an open conversation") from e
        if result.matched_count != 1:
            conversation.version = expected_version
            raise Conflict(f"conversation {conversation.id} changed since version {expected_version}")

    async def page(self, *, after: str = "", limit: int = 500) -> list[Conversation]:
        """Every conversation in id order, after id `after`."""
        cursor = self._coll.find({"_id": {"$gt": after}}).sort("_id", ASCENDING).limit(limit)
        return [load_model(Conversation, doc) async for doc in cursor]

    async def list_for_customer(self, customer_id: CustomerId, *, limit: int = 50) -> list[Conversation]:
        """Newest first."""
        cursor = self._coll.find({"customer_id": customer_id}).sort(
            [("updated_at", DESCENDING), ("_id", DESCENDING)]
        ).limit(limit)
        return [load_model(Conversation, doc) async for doc in cursor]


class MongoMessageStore:
    """MessageStore on MongoDB, ordered by `seq`.

    `seq` comes from a counter document ($inc, one round trip). Neither created_at (millisecond BSON
    dates tie, and clocks of several workers disagree) nor ObjectIds (second resolution, then a
    per-process random part) order messages written by different workers within one second; the counter
    does, and a reply taken after its question always sorts after it, as SQLite's AUTOINCREMENT does.
    """

    def __init__(self, db: MongoDatabase) -> None:
        self.db = db

    @property
    def _coll(self) -> AsyncCollection[Doc]:
        return self.db.collection("messages")

    async def _next_seq(self) -> int:
        counter = await self.db.collection("counters").find_one_and_update(
            {"_id": "messages"}, {"$inc": {"seq": 1}}, upsert=True, return_document=ReturnDocument.AFTER
        )
        assert counter is not None  # upsert with AFTER always returns the document
        return int(counter["seq"])

    async def add(self, message: Message) -> bool:
        """Insert; False if the same inbound external id, outbound key or id is already stored."""
        try:
            await self._coll.insert_one(dump_model(message, seq=await self._next_seq()))
        except DuplicateKeyError:
            return False  # the seq taken is skipped; gaps are harmless
        return True

    async def get(self, message_id: MessageId) -> Message:
        """The message, or NotFound."""
        doc = await self._coll.find_one({"_id": message_id})
        if doc is None:
            raise NotFound(f"message {message_id} not found")
        return load_model(Message, doc)

    async def find_external(
        self, channel: Channel, account_id: str, direction: Direction, external_id: str
    ) -> Message | None:
        """The message a channel knows by this id."""
        doc = await self._coll.find_one(
            {"channel": channel.value, "account_id": account_id, "direction": direction.value,
             "external_id": is_string(external_id)}
        )
        return None if doc is None else load_model(Message, doc)

    async def find_by_key(self, idempotency_key: str) -> Message | None:
        """The outbound message sent under this key."""
        doc = await self._coll.find_one({"idempotency_key": is_string(idempotency_key)})
        return None if doc is None else load_model(Message, doc)

    async def _last(self, query: Doc, limit: int) -> list[Message]:
        """The last `limit` messages matching `query`, oldest first."""
        cursor = self._coll.find(query).sort("seq", DESCENDING).limit(limit)
        newest_first = [load_model(Message, doc) async for doc in cursor]
        return newest_first[::-1]

    async def list_for_conversation(
        self, conversation_id: ConversationId, *, limit: int = 200
    ) -> list[Message]:
        """Oldest first (the last `limit`)."""
        return await self._last({"conversation_id": conversation_id}, limit)

    async def inbound_tally(self, conversation_id: ConversationId) -> InboundTally:
        """One $group over the conversation's messages; the documents never reach Python."""
        query: Doc = {"conversation_id": conversation_id, "direction": Direction.INBOUND.value}
        out_of_scope: Doc = {"$eq": ["$nlu.out_of_scope", True]}
        close_call: Doc = {"$and": [{"$eq": ["$nlu.close_call", True]}, {"$ne": ["$nlu.out_of_scope", True]}]}
        cursor = await self._coll.aggregate([
            {"$match": query},
            {"$group": {"_id": None, "messages": {"$sum": 1},
                        "fallbacks": {"$sum": {"$cond": [out_of_scope, 1, 0]}},
                        "unsure": {"$sum": {"$cond": [close_call, 1, 0]}}}},
        ])
        counts = [doc async for doc in cursor]
        first = await self._coll.find_one(query, {"text": 1}, sort=[("seq", ASCENDING)])
        if not counts:
            return InboundTally()
        return InboundTally(messages=int(counts[0]["messages"]), fallbacks=int(counts[0]["fallbacks"]),
                            unsure=int(counts[0]["unsure"]), first_text=str((first or {}).get("text") or ""))

    async def list_for_customer(self, customer_id: CustomerId, *, limit: int = 200) -> list[Message]:
        """Oldest first (the last `limit`)."""
        return await self._last({"customer_id": customer_id}, limit)

    async def set_status(
        self, message_id: MessageId, status: DeliveryStatus, *, reason: str | None = None,
        external_id: str | None = None,
    ) -> None:
        """Record a delivery status; NotFound if the message is absent."""
        patch: Doc = {"status": status.value, "status_reason": reason}
        if external_id is not None:
            patch["external_id"] = external_id
        try:
            result = await self._coll.update_one({"_id": message_id}, {"$set": patch})
        except DuplicateKeyError as e:
            raise Conflict(f"message {message_id}: external id {external_id} is another message's") from e
        if result.matched_count != 1:
            raise NotFound(f"message {message_id} not found")

    async def edit(
        self, channel: Channel, account_id: str, external_id: str, text: str, attachments: list[Attachment],
        *, at: datetime,
    ) -> Message | None:
        """Replace the inbound message's content, keeping its earlier text."""
        found = await self.find_external(channel, account_id, Direction.INBOUND, external_id)
        if found is None or not apply_edit(found, text, attachments, at):
            return found
        await self._coll.update_one(
            {"_id": found.id},
            {"$set": {"text": found.text, "edited_at": at, "edits": found.edits,
                      "attachments": [a.model_dump(mode="python") for a in found.attachments]}},
        )
        return found

    async def last_inbound_at(self, customer_id: CustomerId, channel: Channel, account_id: str) -> datetime | None:
        """The latest inbound sent_at of this customer on this channel account."""
        doc = await self._coll.find_one(
            {"customer_id": customer_id, "channel": channel.value, "account_id": account_id,
             "direction": Direction.INBOUND.value},
            sort=[("seq", DESCENDING)],
        )
        return None if doc is None else load_model(Message, doc).sent_at

    async def mark_handled(self, message_id: MessageId) -> None:
        """Flag the inbound message as fully handled."""
        await self._coll.update_one({"_id": message_id}, {"$set": {"handled": True}})

    async def claim_send(self, message_id: MessageId, claim: str, *, until: datetime, now: datetime) -> bool:
        """One conditional update: pending, and unclaimed or claimed by `claim` or past its claim's time."""
        free = [{"send_claim": None}, {"send_claim": claim}, {"send_claim_until": {"$lt": _instant(now)}}]
        update = await self._coll.update_one(
            {"_id": message_id, "status": DeliveryStatus.PENDING.value, "$or": free},
            {"$set": {"send_claim": claim, "send_claim_until": _instant(until)}})
        return update.matched_count == 1

    async def set_nlu(self, message_id: MessageId, result: ParseResult) -> None:
        """Store the NLU reading; NotFound if the message is absent."""
        update = await self._coll.update_one({"_id": message_id}, {"$set": {"nlu": result.model_dump(mode="json")}})
        if update.matched_count != 1:
            raise NotFound(f"message {message_id} not found")

    async def list_unsure(self, *, limit: int = 200) -> list[Message]:
        """Inbound messages read as out of scope or as a close call, newest first."""
        cursor = self._coll.find(
            {"direction": Direction.INBOUND.value, "$or": [{"nlu.out_of_scope": True}, {"nlu.close_call": True}]},
            sort=[("seq", DESCENDING)], limit=limit)
        return [load_model(Message, doc) async for doc in cursor]

    async def set_corrected_topic(self, message_id: MessageId, topic: str | None) -> None:
        """Store the operator's topic for the message; NotFound if the message is absent."""
        update = await self._coll.update_one({"_id": message_id}, {"$set": {"corrected_topic": topic}})
        if update.matched_count != 1:
            raise NotFound(f"message {message_id} not found")

    async def list_corrected(self, *, limit: int = 200) -> list[Message]:
        """Inbound messages an operator corrected, newest first."""
        cursor = self._coll.find({"direction": Direction.INBOUND.value, "corrected_topic": {"$ne": None}},
                                 sort=[("seq", DESCENDING)], limit=limit)
        return [load_model(Message, doc) async for doc in cursor]

    async def count(self) -> int:
        """How many messages are stored."""
        return await self._coll.count_documents({})


_INDEXES: dict[str, list[IndexModel]] = {
    "customers": [
        # multikey: unique across customers; partial, or every customer without identities would collide
        IndexModel([("identity_keys", ASCENDING)], name="identity_keys_unique", unique=True,
                   partialFilterExpression={"identity_keys": STRING}),
    ],
    "conversations": [
        IndexModel([("open_key", ASCENDING)], name="open_key_unique", unique=True,
                   partialFilterExpression={"open_key": STRING}),
        IndexModel([("customer_id", ASCENDING), ("updated_at", DESCENDING)], name="customer_updated"),
        IndexModel([("state", ASCENDING), ("updated_at", ASCENDING)], name="state_updated"),
        IndexModel([("updated_at", ASCENDING), ("_id", ASCENDING)], name="updated_id"),  # CRM API pages
    ],
    "messages": [
        IndexModel([("channel", ASCENDING), ("account_id", ASCENDING), ("direction", ASCENDING),
                    ("external_id", ASCENDING)], name="external_unique", unique=True,
                   partialFilterExpression={"external_id": STRING}),
        IndexModel([("idempotency_key", ASCENDING)], name="idempotency_key_unique", unique=True,
                   partialFilterExpression={"idempotency_key": STRING}),
        IndexModel([("conversation_id", ASCENDING), ("seq", ASCENDING)], name="conversation_seq"),
        IndexModel([("customer_id", ASCENDING), ("seq", ASCENDING)], name="customer_seq"),
    ],
}


class MongoCursorStore:
    """CursorStore on MongoDB: one small document per reader."""

    def __init__(self, db: MongoDatabase) -> None:
        self.db = db

    async def get(self, name: str) -> str | None:
        """The saved position, if any."""
        doc = await self.db.collection("cursors").find_one({"_id": name})
        return None if doc is None else str(doc["value"])

    async def set(self, name: str, value: str) -> None:
        """Save the position."""
        await self.db.collection("cursors").update_one({"_id": name}, {"$set": {"value": value}}, upsert=True)


class MongoStores:
    """All stores on one MongoDB database."""

    def __init__(self, url: str, database: str | None = None) -> None:
        self.db = MongoDatabase(url, database)
        self.customers = MongoCustomerStore(self.db)
        self.conversations = MongoConversationStore(self.db)
        self.messages = MongoMessageStore(self.db)
        self.cursors = MongoCursorStore(self.db)
        self.tokens = MongoTokenStore(self.db)
        self.crm = MongoCrmStore(self.db)
        self.webhooks = MongoWebhookStore(self.db)
        self.dialog_states = MongoDialogStateStore(self.db)
        self.directory = MongoDirectoryStore(self.db)
        self.inbox = MongoInboxStore(self.db)
        self.cases = MongoCaseStore(self.db)
        self.claims = MongoClaimStore(self.db)
        self.privacy = MongoPrivacyStore(self.db)

    @classmethod
    def from_url(cls, url: str) -> MongoStores:
        """Stores on the database named in the URL's path ('otklik' when it names none)."""
        return cls(url)

    async def open(self) -> None:
        """Connect and create the indexes (idempotent: existing identical indexes are kept)."""
        await self.db.open()
        try:
            for name, indexes in _INDEXES.items():
                await self.db.collection(name).create_indexes(indexes)
            # the message counter exists before the first add, so concurrent first adds never race to upsert it
            await self.db.collection("counters").update_one(
                {"_id": "messages"}, {"$setOnInsert": {"seq": 0}}, upsert=True
            )
            await self.webhooks.open()  # its indexes and counter
            await self.inbox.open()  # the inbox's indexes on conversations, canned responses
            await self.directory.open()  # users, groups, stores, sessions indexes
            await self.cases.open()  # case queues' indexes and the number counter
            await self.dialog_states.open()  # the index of the purge of idle dialog states
            await self.claims.open()  # claims by claimer, codes by claimer and identity
            await self.privacy.open()  # the audit log's indexes, messages in order, merged customers
        except ConnectionFailure as e:  # other failures (say, an index clashing with ours) are not outages
            await self.db.close()
            raise Unavailable(f"MongoDB store: {e}") from e

    async def close(self) -> None:
        """Close the client."""
        await self.db.close()

    async def ping(self) -> None:
        """Unavailable unless the server answers a ping."""
        try:
            await self.db.client.admin.command("ping")
        except PyMongoError as e:
            raise Unavailable(f"MongoDB store: {e}") from e


def _instant(at: datetime) -> str:
    """A send claim's time as text that sorts as time does (always with microseconds)."""
    return at.isoformat(timespec="microseconds")
