"""ReviewStore on SQLite: each review one JSON row, with the columns its queries filter on.

Its own connection and its own feature in `schema_versions`, on the embedded store's file (WAL lets both
connections share it).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from hub.stores.sqlite.db import SqliteDatabase
from models.errors import Conflict
from models.reviews import PlaceMapping, ReplyState, Review

MIGRATIONS = {"reviews": ["""
CREATE TABLE reviews (
    id TEXT PRIMARY KEY, platform TEXT NOT NULL, place_id TEXT NOT NULL, store_id TEXT, created_at TEXT NOT NULL,
    reply_state TEXT, deleted INTEGER NOT NULL DEFAULT 0, version INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX reviews_created ON reviews (created_at);
CREATE INDEX reviews_place ON reviews (platform, place_id);
CREATE INDEX reviews_reply ON reviews (reply_state);
CREATE TABLE review_places (
    platform TEXT NOT NULL, place_id TEXT NOT NULL, store_id TEXT, doc TEXT NOT NULL,
    PRIMARY KEY (platform, place_id));
"""]}


def _when(at: datetime) -> str:
    return at.isoformat()


class SqliteReviewStore:
    """Reviews and place mappings in SQLite."""

    def __init__(self, path: str) -> None:
        self.db = SqliteDatabase(path, MIGRATIONS, name="SQLite review store")

    async def open(self) -> None:
        """Connect and migrate."""
        await self.db.open()

    async def close(self) -> None:
        """Close the connection."""
        await self.db.close()

    def _row(self, review: Review) -> tuple[object, ...]:
        state = review.reply.state.value if review.reply else None
        return (review.id, review.platform, review.place_id, review.store_id, _when(review.created_at), state,
                int(review.deleted), review.version, review.model_dump_json())

    async def get(self, review_id: str) -> Review | None:
        """The review, or None."""
        doc = await self.db.one("SELECT doc FROM reviews WHERE id = ?", (review_id,))
        return None if doc is None else Review.model_validate_json(doc)

    async def create(self, review: Review) -> bool:
        """Insert; False when the id is taken."""
        try:
            await self.db.run("INSERT INTO reviews VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self._row(review))
        except sqlite3.IntegrityError:
            return False
        return True

    async def save(self, review: Review, *, expected_version: int) -> None:
        """Replace under optimistic locking; the review's version becomes expected_version + 1."""
        review.version = expected_version + 1
        row = self._row(review)
        changed = await self.db.run(
            "UPDATE reviews SET store_id = ?, reply_state = ?, deleted = ?, version = ?, doc = ?"
            " WHERE id = ? AND version = ?", (row[3], row[5], row[6], row[7], row[8], review.id, expected_version))
        if changed == 0:
            review.version = expected_version
            raise Conflict(f"review {review.id} changed meanwhile; read it again")

    async def find(self, *, platform: str | None = None, store_id: str | None = None, since: datetime | None = None,
                   reply_state: ReplyState | None = None, limit: int = 10_000) -> list[Review]:
        """Matching reviews, newest first."""
        where, params = ["1 = 1"], []
        for column, value in (("platform", platform), ("store_id", store_id),
                              ("reply_state", reply_state.value if reply_state else None)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if since is not None:
            where.append("created_at >= ?")
            params.append(_when(since))
        rows = await self.db.column(f"SELECT doc FROM reviews WHERE {' AND '.join(where)}"
                                    " ORDER BY created_at DESC LIMIT ?", (*params, limit), offloop=True)
        return [Review.model_validate_json(doc) for doc in rows]

    async def live_ids(self, platform: str, place_id: str) -> list[str]:
        """Ids of the place's reviews not marked deleted."""
        return [str(i) for i in await self.db.column(
            "SELECT id FROM reviews WHERE platform = ? AND place_id = ? AND deleted = 0", (platform, place_id))]

    async def get_place(self, platform: str, place_id: str) -> PlaceMapping | None:
        """The place's mapping, or None."""
        doc = await self.db.one("SELECT doc FROM review_places WHERE platform = ? AND place_id = ?",
                                (platform, place_id))
        return None if doc is None else PlaceMapping.model_validate_json(doc)

    async def save_place(self, mapping: PlaceMapping) -> None:
        """Insert or replace."""
        await self.db.run(
            "INSERT INTO review_places VALUES (?, ?, ?, ?) ON CONFLICT (platform, place_id)"
            " DO UPDATE SET store_id = excluded.store_id, doc = excluded.doc",
            (mapping.platform, mapping.place_id, mapping.store_id, mapping.model_dump_json()))

    async def places(self, *, unmapped_only: bool = False) -> list[PlaceMapping]:
        """Every place seen, by platform and id."""
        where = " WHERE store_id IS NULL" if unmapped_only else ""
        rows = await self.db.column(f"SELECT doc FROM review_places{where} ORDER BY platform, place_id", offloop=True)
        return [PlaceMapping.model_validate_json(doc) for doc in rows]
