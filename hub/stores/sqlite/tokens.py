"""API tokens on SQLite (feature "tokens")."""

from __future__ import annotations

from datetime import datetime

from hub.stores.sqlite.db import SqliteDatabase
from models.tokens import ApiToken

MIGRATIONS = [
    """
    CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        doc TEXT NOT NULL
    );
    """,
]


class SqliteTokenStore:
    """TokenStore on SQLite."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def add(self, token: ApiToken) -> None:
        """Insert a new token."""
        await self.db.run("INSERT INTO api_tokens (id, created_at, doc) VALUES (?, ?, ?)",
                          (token.id, token.created_at.isoformat(), token.model_dump_json()))

    async def get(self, token_id: str) -> ApiToken | None:
        """The token with this id."""
        doc = await self.db.one("SELECT doc FROM api_tokens WHERE id = ?", (token_id,))
        return None if doc is None else ApiToken.model_validate_json(doc)

    async def list(self) -> list[ApiToken]:
        """Every token, newest first."""
        docs = await self.db.column("SELECT doc FROM api_tokens ORDER BY created_at DESC")
        return [ApiToken.model_validate_json(d) for d in docs]

    async def revoke(self, token_id: str, *, at: datetime) -> bool:
        """Mark revoked, keeping the first revocation time."""
        changed = await self.db.run(
            "UPDATE api_tokens SET doc = json_set(doc, '$.revoked_at', coalesce(json_extract(doc, '$.revoked_at'), ?))"
            " WHERE id = ?", (at.isoformat().replace("+00:00", "Z"), token_id))
        return changed == 1
