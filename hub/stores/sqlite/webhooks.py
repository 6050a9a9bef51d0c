"""Webhook subscriptions and deliveries on SQLite (feature "webhooks").

Times we compare in SQL are integer milliseconds since the epoch (ISO strings only sort right while they
all carry the same precision). A claim is one write transaction (BEGIN IMMEDIATE), so two processes on
the same file can never both take one attempt.

Reads here take the write lock too: a SELECT still open on the shared connection while another task
begins a write transaction pins an old snapshot, and if another connection (a second dispatcher, the
CLI) wrote since, SQLite fails that write at once with "database is locked" instead of waiting.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.stores.sqlite.db import SqliteDatabase, execute, fetch_one
from hub.stores.subscription_cache import SubscriptionCache
from models.errors import Conflict, NotFound
from models.webhooks import Delivery, Subscription, WebhookStatus

MIGRATIONS = [
    """
    CREATE TABLE webhook_subscriptions (
        id TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        doc TEXT NOT NULL
    );
    CREATE TABLE webhook_deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        subscription_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        lane TEXT NOT NULL,
        event_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        status TEXT NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        lease_until INTEGER,
        lease_owner TEXT,
        doc TEXT NOT NULL,
        UNIQUE (subscription_id, event_id)
    );
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
        WHERE status IN ('pending', 'failed');
    CREATE INDEX webhook_deliveries_lane ON webhook_deliveries (subscription_id, lane, event_at, seq)
        WHERE status IN ('pending', 'failed');
    CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, seq);
    CREATE INDEX webhook_deliveries_status ON webhook_deliveries (status, seq);
    CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);
    """,
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_OPEN = "('pending', 'failed')"
_COLUMNS = "seq, doc"


def _ms(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(milliseconds=1)


def _load(row: Any) -> Delivery:
    delivery = Delivery.model_validate_json(row[1])
    delivery.seq = int(row[0])
    return delivery


class SqliteWebhookStore:
    """WebhookStore on SQLite."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db
        self.subscription_cache = SubscriptionCache()

    async def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Every row, read while no write of this connection runs (see the module docstring)."""
        async with self.db.write_lock:
            return await self.db.rows(sql, params)

    async def add_subscription(self, subscription: Subscription) -> None:
        """Insert a new subscription."""
        try:
            with self.subscription_cache.changing():
                await self.db.run("INSERT INTO webhook_subscriptions (id, created_at, doc) VALUES (?, ?, ?)",
                                  (subscription.id, _ms(subscription.created_at),
                                   json.dumps(subscription.revealed())))
        except sqlite3.IntegrityError as e:
            raise Conflict(f"webhook subscription {subscription.id} exists") from e

    async def get_subscription(self, subscription_id: str) -> Subscription:
        """The subscription, or NotFound."""
        rows = await self._rows("SELECT doc FROM webhook_subscriptions WHERE id = ?", (subscription_id,))
        if not rows:
            raise NotFound(f"webhook subscription {subscription_id} not found")
        return Subscription.model_validate_json(rows[0][0])

    async def list_subscriptions(self) -> list[Subscription]:
        """Every subscription, oldest first."""
        rows = await self._rows("SELECT doc FROM webhook_subscriptions ORDER BY created_at, id")
        return [Subscription.model_validate_json(row[0]) for row in rows]

    async def active_subscriptions(self) -> list[Subscription]:
        """The active subscriptions, oldest first, from the in-process cache."""
        return await self.subscription_cache.get(self._load_active)

    async def _load_active(self) -> list[Subscription]:
        return [s for s in await self.list_subscriptions() if s.active]

    async def set_active(self, subscription_id: str, active: bool) -> bool:
        """Turn a subscription on or off."""
        with self.subscription_cache.changing():
            changed = await self.db.run(
                "UPDATE webhook_subscriptions SET doc = json_set(doc, '$.active', json(?)) WHERE id = ?",
                ("true" if active else "false", subscription_id))
        return changed == 1

    async def remove_subscription(self, subscription_id: str) -> bool:
        """Delete a subscription; its deliveries stay in the log."""
        with self.subscription_cache.changing():
            return await self.db.run("DELETE FROM webhook_subscriptions WHERE id = ?", (subscription_id,)) == 1

    async def add_delivery(self, delivery: Delivery) -> bool:
        """Insert; False if (subscription, event) or the id is taken."""
        inserted = await self.db.run(
            "INSERT OR IGNORE INTO webhook_deliveries (id, subscription_id, event_id, lane, event_at, created_at,"
            " status, next_attempt_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (delivery.id, delivery.subscription_id, delivery.event_id, delivery.lane, _ms(delivery.event_at),
             _ms(delivery.created_at), delivery.status, _ms(delivery.next_attempt_at), delivery.model_dump_json()))
        return inserted == 1

    async def get_delivery(self, delivery_id: str) -> Delivery:
        """The delivery, or NotFound."""
        rows = await self._rows(f"SELECT {_COLUMNS} FROM webhook_deliveries WHERE id = ?", (delivery_id,))
        if not rows:
            raise NotFound(f"webhook delivery {delivery_id} not found")
        return _load(rows[0])

    async def list_deliveries(
        self, *, status: WebhookStatus | None = None, subscription_id: str | None = None,
        before_seq: int | None = None, since: datetime | None = None, until: datetime | None = None,
        limit: int = 50,
    ) -> list[Delivery]:
        """Newest first, every given filter applied."""
        filters = [("status = ?", status and status.value), ("subscription_id = ?", subscription_id),
                   ("seq < ?", before_seq), ("created_at >= ?", since and _ms(since)),
                   ("created_at < ?", until and _ms(until))]
        used = [(sql, value) for sql, value in filters if value is not None]
        where = " AND ".join(sql for sql, _ in used) or "1"
        rows = await self._rows(f"SELECT {_COLUMNS} FROM webhook_deliveries WHERE {where} ORDER BY seq DESC LIMIT ?",
                                (*[value for _, value in used], limit))
        return [_load(row) for row in rows]

    async def due(self, now: datetime, *, limit: int) -> list[Delivery]:
        """Due, unheld heads of their lanes, the longest waiting first."""
        rows = await self._rows(
            f"SELECT {_COLUMNS} FROM webhook_deliveries d WHERE d.status IN {_OPEN} AND d.next_attempt_at <= ?"
            " AND (d.lease_until IS NULL OR d.lease_until <= ?)"
            " AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.subscription_id = d.subscription_id"
            f" AND e.lane = d.lane AND e.status IN {_OPEN}"
            " AND (e.event_at < d.event_at OR (e.event_at = d.event_at AND e.seq < d.seq)))"
            " ORDER BY d.next_attempt_at, d.seq LIMIT ?", (_ms(now), _ms(now), limit))
        return [_load(row) for row in rows]

    async def claim(self, delivery_id: str, *, owner: str, now: datetime, until: datetime) -> Delivery | None:
        """Take the delivery if it is open, due and unheld."""
        async with self.db.transaction() as conn:
            row = await fetch_one(
                conn, f"SELECT {_COLUMNS} FROM webhook_deliveries WHERE id = ? AND status IN {_OPEN}"
                " AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)",
                (delivery_id, _ms(now), _ms(now)),
            )
            if row is None:
                return None
            claimed = _load(row).claimed(owner, until)
            await execute(conn, "UPDATE webhook_deliveries SET lease_owner = ?, lease_until = ?, doc = ? WHERE id = ?",
                          (owner, _ms(until), claimed.model_dump_json(), delivery_id))
        return claimed

    async def settle(self, delivery: Delivery, *, owner: str) -> bool:
        """Write back the attempt's outcome if `owner` still holds the delivery."""
        return await self._write(delivery, "lease_owner = ?", (owner,)) == 1

    async def replay(self, delivery_id: str, *, now: datetime) -> Delivery | None:
        """Due now with a fresh budget, unless someone is sending it."""
        async with self.db.transaction() as conn:
            row = await fetch_one(conn, f"SELECT {_COLUMNS} FROM webhook_deliveries WHERE id = ?", (delivery_id,))
            if row is None:
                raise NotFound(f"webhook delivery {delivery_id} not found")
            current = _load(row)
            if current.is_open and current.lease_until is not None and current.lease_until > now:
                return None
            replayed = current.replayed(now)
            await execute(conn, _WRITE + " WHERE id = ?", (*_state(replayed), delivery_id))
        return replayed

    async def _write(self, delivery: Delivery, condition: str, params: tuple[Any, ...]) -> int:
        """Write the delivery's state back where `condition` still holds; the rows changed."""
        return await self.db.run(f"{_WRITE} WHERE id = ? AND {condition}", (*_state(delivery), delivery.id, *params))


_WRITE = ("UPDATE webhook_deliveries SET status = ?, next_attempt_at = ?, lease_owner = ?, lease_until = ?, doc = ?")


def _state(delivery: Delivery) -> tuple[Any, ...]:
    """The values of _WRITE's columns."""
    lease = None if delivery.lease_until is None else _ms(delivery.lease_until)
    return (delivery.status, _ms(delivery.next_attempt_at), delivery.lease_owner, lease, delivery.model_dump_json())
