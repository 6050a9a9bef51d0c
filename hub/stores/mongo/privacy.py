"""PrivacyStore on MongoDB: the `privacy_audit` collection, and erasure as field updates on every collection
that holds a customer's data.

Erasure is a sequence of idempotent updates (no multi-document transaction, which a standalone server lacks):
if it stops halfway, running it again finishes it. Only the fields anonymise.py changes are set, so the
index-only fields (identity_keys, open_key, seq, the case queue keys) stay right; identity_keys is emptied
with the identities.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel

from hub.stores import anonymise
from hub.stores.mongo.db import Doc, MongoDatabase, dump_model, load_model
from models.cases import Case
from models.conversations import Conversation
from models.customers import Customer
from models.ids import CustomerId
from models.messages import Message
from models.privacy import AuditEntry, AuditQuery, Erasure

AUDIT = "privacy_audit"
MESSAGE_FIELDS = ("text", "edits", "attachments", "buttons", "raw", "status_reason", "nlu", "author_name",
                  "external_id")
CONVERSATION_FIELDS = ("outcome", "handover_note", "handover_summary", "follow_up_note", "history", "version")
CASE_FIELDS = ("description", "fields", "attachments", "order_id", "solution", "comments", "history", "version")
_INDEXES: dict[str, list[IndexModel]] = {
    AUDIT: [IndexModel([("customer_id", ASCENDING), ("at", DESCENDING)], name="audit_customer"),
            IndexModel([("actor", ASCENDING), ("at", DESCENDING)], name="audit_actor"),
            IndexModel([("at", DESCENDING)], name="audit_at")],
    "messages": [IndexModel([("seq", ASCENDING)], name="seq")],  # retention walks every message in order
    "customers": [IndexModel([("merged_into", ASCENDING)], name="merged_into",
                             partialFilterExpression={"merged_into": {"$type": "string"}})],
}


def _fields(model: Any, names: tuple[str, ...]) -> Doc:
    dumped = model.model_dump(mode="python")
    return {name: dumped[name] for name in names}


class MongoPrivacyStore:
    """PrivacyStore on MongoDB."""

    def __init__(self, db: MongoDatabase) -> None:
        self.db = db

    async def open(self) -> None:
        """Create the audit, message-order and merged-customer indexes (idempotent)."""
        for name, indexes in _INDEXES.items():
            await self.db.collection(name).create_indexes(indexes)

    async def record(self, entry: AuditEntry) -> None:
        """Append one entry (a repeated id is ignored)."""
        doc = dump_model(entry)
        entry_id = doc.pop("_id")  # the filter's _id becomes the new document's
        await self.db.collection(AUDIT).update_one({"_id": entry_id}, {"$setOnInsert": doc}, upsert=True)

    async def search(self, query: AuditQuery) -> list[AuditEntry]:
        """Newest first."""
        found: Doc = {k: v for k, v in (("customer_id", query.customer_id), ("actor", query.actor),
                                        ("kind", query.kind.value if query.kind else None)) if v is not None}
        when = {op: v for op, v in (("$gte", query.since), ("$lt", query.until)) if v is not None}
        if when:
            found["at"] = when
        cursor = self.db.collection(AUDIT).find(found).sort([("at", DESCENDING), ("_id", DESCENDING)])
        return [load_model(AuditEntry, d) async for d in cursor.limit(query.limit)]

    async def conversations_of(self, customer_id: CustomerId) -> list[Conversation]:
        """Oldest first."""
        cursor = self.db.collection("conversations").find({"customer_id": customer_id})
        return sorted([load_model(Conversation, d) async for d in cursor], key=lambda c: c.created_at)

    async def messages_of(self, customer_id: CustomerId, *, after: int, limit: int) -> list[tuple[int, Message]]:
        """In stored order, through the (customer_id, seq) index."""
        cursor = self.db.collection("messages").find({"customer_id": customer_id, "seq": {"$gt": after}})
        return [(int(d.pop("seq")), load_model(Message, d)) async for d in cursor.sort("seq", ASCENDING).limit(limit)]

    async def cases_of(self, customer_id: CustomerId) -> list[Case]:
        """Oldest first."""
        cursor = self.db.collection("cases").find({"customer_id": customer_id}).sort("number", ASCENDING)
        return [load_model(Case, d) async for d in cursor]

    async def messages_after(self, after: int, *, limit: int) -> list[tuple[int, Message]]:
        """In stored order, through the seq index."""
        cursor = self.db.collection("messages").find({"seq": {"$gt": after}}).sort("seq", ASCENDING).limit(limit)
        return [(int(d.pop("seq")), load_model(Message, d)) async for d in cursor]

    async def replace_messages(self, messages: list[Message]) -> None:
        """The changed fields of each message."""
        for m in messages:
            await self.db.collection("messages").update_one({"_id": m.id}, {"$set": _fields(m, MESSAGE_FIELDS)})

    async def erase(self, erased: Customer, *, at: datetime) -> Erasure:
        """The survivor and every customer merged into it."""
        merged = self.db.collection("customers").find({"merged_into": {"$eq": erased.id, "$type": "string"}})
        ids = [erased.id, *[str(d["_id"]) async for d in merged]]
        result = Erasure(customer_id=erased.id)
        for customer_id in ids:
            await self._erase_one(customer_id, at, result)
        return result

    async def _erase_one(self, customer_id: str, at: datetime, result: Erasure) -> None:
        customers = self.db.collection("customers")
        doc = await customers.find_one({"_id": customer_id})
        if doc is not None:
            found = load_model(Customer, doc)
            after = anonymise.customer(found, at)
            result.identities += len(found.identities)
            await customers.update_one({"_id": customer_id}, {
                "$set": {"name": None, "identities": [], "attributes": after.attributes, "identity_keys": []},
                "$inc": {"version": 1}})
        await self._erase_messages(customer_id, result)
        await self._erase_conversations(customer_id, result)
        await self._erase_cases(customer_id, result)
        result.claims += (await self.db.collection("claims").delete_many({"customer_id": customer_id})).deleted_count
        await self.db.collection("challenges").delete_many({"customer_id": customer_id})

    async def _erase_messages(self, customer_id: str, result: Erasure) -> None:
        messages = self.db.collection("messages")
        async for doc in messages.find({"customer_id": customer_id}):
            doc.pop("seq", None)
            message = load_model(Message, doc)
            changed = anonymise.message(message)
            if changed != message:
                result.messages += 1
                result.files += anonymise.message_files(message)
                await messages.update_one({"_id": message.id}, {"$set": _fields(changed, MESSAGE_FIELDS)})

    async def _erase_conversations(self, customer_id: str, result: Erasure) -> None:
        conversations = self.db.collection("conversations")
        async for doc in conversations.find({"customer_id": customer_id}):
            conversation = load_model(Conversation, doc)
            changed = anonymise.conversation(conversation)
            if changed != conversation:
                result.conversations += 1
                changed.version = conversation.version + 1  # a concurrent writer must reload, not overwrite
                await conversations.update_one({"_id": conversation.id},
                                               {"$set": _fields(changed, CONVERSATION_FIELDS)})
            deleted = await self.db.collection("dialog_states").delete_one({"_id": conversation.id})
            result.dialog_states += deleted.deleted_count

    async def _erase_cases(self, customer_id: str, result: Erasure) -> None:
        cases = self.db.collection("cases")
        async for doc in cases.find({"customer_id": customer_id}):
            case = load_model(Case, doc)
            changed = anonymise.case(case)
            if changed != case:
                result.cases += 1
                result.files += anonymise.case_files(case)
                changed.version = case.version + 1
                await cases.update_one({"_id": case.id}, {"$set": _fields(changed, CASE_FIELDS)})
