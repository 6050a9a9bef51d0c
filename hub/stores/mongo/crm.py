"""The CRM API's queries and moves on MongoDB.

A merge changes two customer documents, and the identity index is unique across them, so it runs in a
multi-document transaction: MongoDB must be a replica set (docker-compose's is), as production is anyway.
"""

from __future__ import annotations

from datetime import UTC

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession

from hub.stores.crm import ConversationQuery, PageKey
from hub.stores.mongo.db import Doc, MongoDatabase, dump_model, load_model
from models.conversations import Conversation
from models.customers import Customer, emptied, merge_needed, merged_profile
from models.errors import NotFound
from models.ids import CustomerId


def _filter(query: ConversationQuery, after: PageKey | None) -> Doc:
    found: Doc = {}
    if query.states:
        found["state"] = {"$in": sorted(s.value for s in query.states)}
    for field, value in (("channel", query.channel), ("group", query.group), ("topic", query.topic),
                         ("customer_id", query.customer_id)):
        if value is not None:
            found[field] = str(value)
    if query.updated_after is not None:
        found["updated_at"] = {"$gt": query.updated_after.astimezone(UTC)}
    if after is not None:
        stamp = after[0].astimezone(UTC)
        found["$or"] = [{"updated_at": {"$gt": stamp}}, {"updated_at": stamp, "_id": {"$gt": after[1]}}]
    return found


def _customer_doc(customer: Customer) -> Doc:
    return dump_model(customer, identity_keys=[i.key for i in customer.identities])


class MongoCrmStore:
    """CrmStore on MongoDB."""

    def __init__(self, db: MongoDatabase) -> None:
        self.db = db

    async def conversations_page(
        self, query: ConversationQuery, *, after: PageKey | None, limit: int
    ) -> list[Conversation]:
        """Matching conversations in (updated_at, id) order, after `after`."""
        cursor = self.db.collection("conversations").find(_filter(query, after)).sort(
            [("updated_at", ASCENDING), ("_id", ASCENDING)]).limit(limit)
        return [load_model(Conversation, doc) async for doc in cursor]

    async def merge_customers(self, survivor: CustomerId, merged: CustomerId) -> Customer:
        """Move the identities and mark the merged customer, in one transaction (retried if transient)."""

        async def merge(session: AsyncClientSession) -> Customer:
            keeper, gone = await self._get(survivor, session), await self._get(merged, session)
            if not merge_needed(keeper, gone):
                return keeper
            keeper = merged_profile(keeper, gone)
            customers = self.db.collection("customers")
            # the merged one lets go first: the identity index is unique across customers
            await customers.replace_one({"_id": merged}, _customer_doc(emptied(gone, survivor)), session=session)
            await customers.replace_one({"_id": survivor}, _customer_doc(keeper), session=session)
            return keeper

        async with self.db.client.start_session() as session:
            result: Customer = await session.with_transaction(merge)
        return result

    async def _get(self, customer_id: CustomerId, session: AsyncClientSession) -> Customer:
        doc = await self.db.collection("customers").find_one({"_id": customer_id}, session=session)
        if doc is None:
            raise NotFound(f"customer {customer_id} not found")
        return load_model(Customer, doc)

    async def move_messages(self, from_customer: CustomerId, to_customer: CustomerId) -> int:
        """Re-own the messages."""
        result = await self.db.collection("messages").update_many(
            {"customer_id": from_customer}, {"$set": {"customer_id": to_customer}})
        return int(result.modified_count)
