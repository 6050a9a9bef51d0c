"""The bot's dialog states and issued promo codes on MongoDB: `_id` = conversation id (codes: conversation:kind)."""

from __future__ import annotations

import contextlib
import re
from datetime import datetime

from pymongo import ASCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from hub.stores.dialog_state import SavedDialogState
from hub.stores.mongo.db import Doc, MongoDatabase
from models.ids import ConversationId

STATES = "dialog_states"
CODES = "dialog_codes"


def _dump(state: SavedDialogState) -> Doc:
    doc = state.model_dump(mode="python")
    doc["_id"] = doc.pop("conversation_id")
    return doc


def _load(doc: Doc) -> SavedDialogState:
    doc["conversation_id"] = doc.pop("_id")
    return SavedDialogState.model_validate(doc)


class MongoDialogStateStore:
    """DialogStateStore on MongoDB: the primary key, and `updated_at` for the purge of idle states."""

    def __init__(self, db: MongoDatabase) -> None:
        self.db = db

    async def open(self) -> None:
        """Create the purge's index (idempotent)."""
        await self.db.collection(STATES).create_indexes([IndexModel([("updated_at", ASCENDING)],
                                                                    name="dialog_states_updated_at")])

    async def get(self, conversation_id: ConversationId) -> SavedDialogState | None:
        """The saved state, or None."""
        doc = await self.db.collection(STATES).find_one({"_id": conversation_id})
        return None if doc is None else _load(doc)

    async def save(self, state: SavedDialogState, *, expected_version: int) -> bool:
        """Insert (expected_version 0) or replace the document still at expected_version; False otherwise."""
        if state.version != expected_version + 1:
            raise ValueError(f"a save after version {expected_version} writes version {expected_version + 1}")
        coll = self.db.collection(STATES)
        if expected_version == 0:
            try:
                await coll.insert_one(_dump(state))
            except DuplicateKeyError:
                return False
            return True
        result = await coll.replace_one({"_id": state.conversation_id, "version": expected_version}, _dump(state))
        return result.matched_count == 1

    async def delete(self, conversation_id: ConversationId) -> bool:
        """Forget the state; False if there was none."""
        result = await self.db.collection(STATES).delete_one({"_id": conversation_id})
        return result.deleted_count == 1

    async def purge_stale(self, before: datetime, *, limit: int = 500) -> int:
        """Forget up to `limit` states (and their codes) last saved before `before`, oldest first."""
        if limit <= 0:
            return 0  # a limit of 0 means "no limit" to MongoDB
        states = self.db.collection(STATES)
        cursor = states.find({"updated_at": {"$lt": before}}, {"_id": 1}).sort("updated_at", ASCENDING).limit(limit)
        ids = [doc["_id"] async for doc in cursor]
        if not ids:
            return 0
        # a code's _id is "<conversation>:<kind>": anchored prefixes use the _id index
        prefixes = [re.compile(f"^{re.escape(str(i))}:") for i in ids]
        await self.db.collection(CODES).delete_many({"_id": {"$in": prefixes}})
        result = await states.delete_many({"_id": {"$in": ids}, "updated_at": {"$lt": before}})
        return int(result.deleted_count)

    async def kept_code(self, conversation_id: ConversationId, kind: str) -> str | None:
        """The kept code, if any."""
        doc = await self.db.collection(CODES).find_one({"_id": f"{conversation_id}:{kind}"})
        return None if doc is None else str(doc["code"])

    async def remember_code(self, conversation_id: ConversationId, kind: str, code: str) -> str:
        """Keep the first code given for (conversation, kind); return the kept one."""
        key = f"{conversation_id}:{kind}"
        coll = self.db.collection(CODES)
        # $setOnInsert under upsert: the first writer's code stays; a racing duplicate insert retries as a read
        with contextlib.suppress(DuplicateKeyError):
            await coll.update_one({"_id": key}, {"$setOnInsert": {"code": code}}, upsert=True)
        doc = await coll.find_one({"_id": key})
        assert doc is not None  # written just above
        return str(doc["code"])
