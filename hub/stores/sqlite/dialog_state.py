"""The bot's dialog states and issued promo codes on SQLite (feature "dialog_state")."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from hub.stores.dialog_state import SavedDialogState
from hub.stores.sqlite.db import SqliteDatabase, execute, fetch_all
from models.ids import ConversationId

MIGRATIONS = [
    """
    CREATE TABLE dialog_states (
        conversation_id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        doc TEXT NOT NULL
    );
    CREATE TABLE dialog_codes (
        conversation_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        code TEXT NOT NULL,
        PRIMARY KEY (conversation_id, kind)
    );
    """,
    # The purge of idle states finds the oldest through this index, not by reading every document.
    """
    ALTER TABLE dialog_states ADD COLUMN saved_at REAL
        GENERATED ALWAYS AS (julianday(json_extract(doc, '$.updated_at'))) VIRTUAL;
    CREATE INDEX dialog_states_saved_at ON dialog_states (saved_at);
    """,
]


class SqliteDialogStateStore:
    """DialogStateStore on SQLite."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def get(self, conversation_id: ConversationId) -> SavedDialogState | None:
        """The saved state, or None."""
        doc = await self.db.one("SELECT doc FROM dialog_states WHERE conversation_id = ?", (conversation_id,))
        return None if doc is None else SavedDialogState.model_validate_json(doc)

    async def save(self, state: SavedDialogState, *, expected_version: int) -> bool:
        """Insert (expected_version 0) or update the row still at expected_version; False otherwise."""
        if state.version != expected_version + 1:
            raise ValueError(f"a save after version {expected_version} writes version {expected_version + 1}")
        doc = state.model_dump_json()
        if expected_version == 0:
            try:
                changed = await self.db.run(
                    "INSERT INTO dialog_states (conversation_id, version, doc) VALUES (?, ?, ?)",
                    (state.conversation_id, state.version, doc))
            except sqlite3.IntegrityError:
                return False
            return changed == 1
        changed = await self.db.run(
            "UPDATE dialog_states SET version = ?, doc = ? WHERE conversation_id = ? AND version = ?",
            (state.version, doc, state.conversation_id, expected_version))
        return changed == 1

    async def delete(self, conversation_id: ConversationId) -> bool:
        """Forget the state; False if there was none."""
        changed = await self.db.run("DELETE FROM dialog_states WHERE conversation_id = ?", (conversation_id,))
        return changed == 1

    async def purge_stale(self, before: datetime, *, limit: int = 500) -> int:
        """Forget up to `limit` states (and their codes) last saved before `before`, oldest first."""
        async with self.db.transaction() as conn:
            ids = [row[0] for row in await fetch_all(
                conn, "SELECT conversation_id FROM dialog_states WHERE saved_at < julianday(?)"
                      " ORDER BY saved_at LIMIT ?", (before.astimezone(UTC).isoformat(), limit))]
            if not ids:
                return 0
            marks = ", ".join("?" * len(ids))
            await execute(conn, f"DELETE FROM dialog_codes WHERE conversation_id IN ({marks})", tuple(ids))
            return await execute(conn, f"DELETE FROM dialog_states WHERE conversation_id IN ({marks})", tuple(ids))

    async def kept_code(self, conversation_id: ConversationId, kind: str) -> str | None:
        """The kept code, if any."""
        kept = await self.db.one("SELECT code FROM dialog_codes WHERE conversation_id = ? AND kind = ?",
                                 (conversation_id, kind))
        return None if kept is None else str(kept)

    async def remember_code(self, conversation_id: ConversationId, kind: str, code: str) -> str:
        """Keep the first code given for (conversation, kind); return the kept one."""
        await self.db.run("INSERT INTO dialog_codes (conversation_id, kind, code) VALUES (?, ?, ?)"
                          " ON CONFLICT (conversation_id, kind) DO NOTHING", (conversation_id, kind, code))
        kept = await self.kept_code(conversation_id, kind)
        assert kept is not None  # written just above
        return kept
