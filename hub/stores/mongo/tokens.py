"""API tokens on MongoDB: one document per token, `_id` = the token id."""

from __future__ import annotations

from datetime import datetime

from pymongo import DESCENDING

from hub.stores.mongo.db import MongoDatabase, dump_model, load_model
from models.tokens import ApiToken


class MongoTokenStore:
    """TokenStore on MongoDB."""

    def __init__(self, db: MongoDatabase) -> None:
        self.db = db

    async def add(self, token: ApiToken) -> None:
        """Insert a new token."""
        await self.db.collection("api_tokens").insert_one(dump_model(token))

    async def get(self, token_id: str) -> ApiToken | None:
        """The token with this id."""
        doc = await self.db.collection("api_tokens").find_one({"_id": token_id})
        return None if doc is None else load_model(ApiToken, doc)

    async def list(self) -> list[ApiToken]:
        """Every token, newest first."""
        cursor = self.db.collection("api_tokens").find({}).sort("created_at", DESCENDING)
        return [load_model(ApiToken, doc) async for doc in cursor]

    async def revoke(self, token_id: str, *, at: datetime) -> bool:
        """Mark revoked, keeping the first revocation time."""
        result = await self.db.collection("api_tokens").update_one(
            {"_id": token_id}, [{"$set": {"revoked_at": {"$ifNull": ["$revoked_at", at]}}}])
        return result.matched_count == 1
