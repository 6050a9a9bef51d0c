"""Identity claims and one-time codes on SQLite (feature "claims")."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.stores.sqlite.db import SqliteDatabase, execute, fetch_one
from models.claims import Challenge, Claim, ClaimStatus
from models.ids import CustomerId

MIGRATIONS = [
    """
    CREATE TABLE claims (
        key TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL,
        last_at TEXT NOT NULL,
        doc TEXT NOT NULL
    );
    CREATE INDEX claims_customer ON claims(customer_id, last_at);
    CREATE TABLE challenges (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL,
        identity_key TEXT NOT NULL,
        created_at TEXT NOT NULL,
        doc TEXT NOT NULL
    );
    CREATE INDEX challenges_customer ON challenges(customer_id, created_at);
    CREATE INDEX challenges_identity ON challenges(identity_key, created_at);
    """,
]


def _ts(at: datetime) -> str:
    """A sortable UTC text timestamp (the columns only; documents keep pydantic's form)."""
    return at.astimezone(UTC).isoformat()


class SqliteClaimStore:
    """ClaimStore on SQLite."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def note(self, claim: Claim) -> Claim:
        """Insert, or move `last_at` and the conversation of the one kept."""
        async with self.db.transaction() as conn:
            row = await fetch_one(conn, "SELECT doc FROM claims WHERE key = ?", (claim.key,))
            if row is not None:
                kept = Claim.model_validate_json(row[0])
                claim = kept.model_copy(update={"last_at": max(kept.last_at, claim.last_at),
                                                "conversation_id": claim.conversation_id or kept.conversation_id})
            await execute(conn, "INSERT INTO claims (key, customer_id, last_at, doc) VALUES (?, ?, ?, ?) "
                                "ON CONFLICT(key) DO UPDATE SET last_at = excluded.last_at, doc = excluded.doc",
                          (claim.key, claim.customer_id, _ts(claim.last_at), claim.model_dump_json()))
        return claim

    async def of_customer(self, customer_id: CustomerId) -> list[Claim]:
        """Newest first."""
        docs = await self.db.column("SELECT doc FROM claims WHERE customer_id = ? ORDER BY last_at DESC",
                                    (customer_id,))
        return [Claim.model_validate_json(d) for d in docs]

    async def decide(self, customer_id: CustomerId, identity_key: str, status: ClaimStatus, *, by: str,
                     at: datetime) -> Claim | None:
        """Set status, decided_by and decided_at."""
        key = f"{customer_id}|{identity_key}"
        async with self.db.transaction() as conn:
            row = await fetch_one(conn, "SELECT doc FROM claims WHERE key = ?", (key,))
            if row is None:
                return None
            claim = Claim.model_validate_json(row[0]).model_copy(
                update={"status": status, "decided_by": by, "decided_at": at})
            await execute(conn, "UPDATE claims SET doc = ? WHERE key = ?", (claim.model_dump_json(), key))
        return claim

    async def add_challenge(self, challenge: Challenge) -> None:
        """Insert."""
        await self.db.run("INSERT INTO challenges (id, customer_id, identity_key, created_at, doc) "
                          "VALUES (?, ?, ?, ?, ?)", (challenge.id, challenge.customer_id, challenge.identity.key,
                                                    _ts(challenge.created_at), challenge.model_dump_json()))

    async def latest_challenge(self, customer_id: CustomerId) -> Challenge | None:
        """The newest by creation time."""
        doc = await self.db.one("SELECT doc FROM challenges WHERE customer_id = ? ORDER BY created_at DESC LIMIT 1",
                                (customer_id,))
        return None if doc is None else Challenge.model_validate_json(doc)

    async def count_challenges(self, *, since: datetime, customer_id: CustomerId | None = None,
                               identity_key: str | None = None) -> int:
        """Codes created since `since` matching every filter given."""
        where, params = ["created_at >= ?"], [_ts(since)]
        if customer_id is not None:
            where.append("customer_id = ?")
            params.append(customer_id)
        if identity_key is not None:
            where.append("identity_key = ?")
            params.append(identity_key)
        return int(await self.db.one(f"SELECT count(*) FROM challenges WHERE {' AND '.join(where)}", tuple(params)))

    async def count_attempt(self, challenge_id: str) -> int:
        """Increment in place; the new count."""
        await self.db.run("UPDATE challenges SET doc = json_set(doc, '$.attempts', json_extract(doc, '$.attempts') + 1)"
                          " WHERE id = ?", (challenge_id,))
        found = await self.db.one("SELECT json_extract(doc, '$.attempts') FROM challenges WHERE id = ?",
                                  (challenge_id,))
        return 0 if found is None else int(found)

    async def use(self, challenge_id: str, *, at: datetime) -> bool:
        """Set used_at where it is still null."""
        changed = await self.db.run(
            "UPDATE challenges SET doc = json_set(doc, '$.used_at', ?) WHERE id = ? "
            "AND json_extract(doc, '$.used_at') IS NULL", (at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                                                           challenge_id))
        return changed == 1
