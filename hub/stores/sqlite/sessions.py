"""Web sessions and failed sign-ins on SQLite: the directory store's half that changes on every sign-in.

Tables come from `sqlite_directory.MIGRATIONS` (feature "directory"). Long-dead rows are pruned as new
ones arrive, as MongoDB's TTL indexes do.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.stores.sqlite.db import SqliteDatabase, execute
from models.staff import UserId
from models.web_sessions import WebSession

KEEP_FOR = timedelta(days=30)  # sessions unseen this long are pruned


def timestamp(at: datetime) -> str:
    """A sortable UTC timestamp."""
    return at.astimezone(UTC).isoformat()


class SqliteSessionRecords:
    """The session and sign-in-failure part of SqliteDirectoryStore."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def add_session(self, session: WebSession) -> None:
        """Insert a new session (and prune long-dead ones, as MongoDB's TTL index does)."""
        async with self.db.transaction() as conn:
            await execute(conn, "DELETE FROM web_sessions WHERE last_seen_at < ?",
                          (timestamp(session.created_at - KEEP_FOR),))
            await execute(conn, "INSERT INTO web_sessions (id, user_id, last_seen_at, doc) VALUES (?, ?, ?, ?)",
                          (session.id, session.user_id, timestamp(session.last_seen_at), session.model_dump_json()))

    async def get_session(self, session_id: str) -> WebSession | None:
        """The session, if any."""
        doc = await self.db.one("SELECT doc FROM web_sessions WHERE id = ?", (session_id,))
        return None if doc is None else WebSession.model_validate_json(doc)

    async def touch_session(self, session_id: str, at: datetime) -> None:
        """Move last_seen_at."""
        stamp = at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        await self.db.run("UPDATE web_sessions SET last_seen_at = ?, doc = json_set(doc, '$.last_seen_at', ?)"
                          " WHERE id = ?", (timestamp(at), stamp, session_id))

    async def delete_session(self, session_id: str) -> None:
        """Remove one session."""
        await self.db.run("DELETE FROM web_sessions WHERE id = ?", (session_id,))

    async def delete_user_sessions(self, user_id: UserId) -> int:
        """Remove every session of the user."""
        return await self.db.run("DELETE FROM web_sessions WHERE user_id = ?", (user_id,))

    async def reserve_attempt(self, key: str, at: datetime, *, capacity: int, interval: timedelta) -> bool:
        """Take one attempt from the bucket in one statement, so parallel guesses cannot all pass."""
        now, step = at.timestamp(), interval.total_seconds()
        async with self.db.transaction() as conn:
            await execute(conn, "DELETE FROM login_throttle WHERE tat < ?", (now - 86400,))
            # GCRA: `tat` is when the bucket is full again; an attempt fits while it stays within capacity.
            taken = await execute(conn, "INSERT INTO login_throttle (key, tat) VALUES (?1, ?2 + ?3)"
                                  " ON CONFLICT (key) DO UPDATE SET tat = max(tat, ?2) + ?3"
                                  " WHERE max(tat, ?2) <= ?2 + (?4 - 1) * ?3", (key, now, step, capacity))
        return taken == 1

    async def release_attempt(self, key: str, interval: timedelta) -> None:
        """Give one attempt back."""
        await self.db.run("UPDATE login_throttle SET tat = tat - ? WHERE key = ?", (interval.total_seconds(), key))

    async def clear_login_failures(self, key: str) -> None:
        """Forget the attempts under key."""
        await self.db.run("DELETE FROM login_throttle WHERE key = ?", (key,))
