"""CampaignStore on SQLite: campaigns and offer records as JSON rows with the columns the caps count on.

Reserving runs in one BEGIN IMMEDIATE transaction: SQLite's write lock serialises it across every connection
and process on the file, so the counts it checks cannot change before its insert.
"""

from __future__ import annotations

import sqlite3

from hub.stores.sqlite.db import Connection, SqliteDatabase, execute, fetch_one
from models.campaigns import Campaign, CapLimits, Counters, OfferRecord, Reservation
from models.errors import Conflict, NotFound

MIGRATIONS = {"campaigns": ["""
CREATE TABLE campaigns (id TEXT PRIMARY KEY, version INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE campaign_codes (code TEXT PRIMARY KEY, campaign_id TEXT NOT NULL, offer_id TEXT UNIQUE);
CREATE INDEX campaign_codes_free ON campaign_codes (campaign_id, offer_id);
CREATE TABLE campaign_offers (
    id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL, customer_id TEXT NOT NULL, week TEXT NOT NULL,
    control INTEGER NOT NULL, code TEXT UNIQUE, made_at TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX campaign_offers_campaign ON campaign_offers (campaign_id, control);
CREATE INDEX campaign_offers_customer ON campaign_offers (customer_id, week);
CREATE TABLE campaign_made (campaign_id TEXT PRIMARY KEY, n INTEGER NOT NULL);
"""]}
# Offers made per campaign, kept beside the offers in the same transaction: the decision reads every campaign's
# count at each contact, which must not cost a scan of all offers ever made.
COUNT_MADE = ("INSERT INTO campaign_made VALUES (?, 1) ON CONFLICT (campaign_id) DO UPDATE SET n = n + 1")


async def _count(conn: Connection, sql: str, params: tuple[object, ...]) -> int:
    return int((await fetch_one(conn, sql, params))[0])


def _row(r: OfferRecord) -> tuple[object, ...]:
    return (r.id, r.campaign_id, r.customer_id, r.week, int(r.control), r.code, r.made_at.isoformat(), r.version,
            r.model_dump_json())


class SqliteCampaignStore:
    """Campaigns, code pools and offer records in SQLite."""

    def __init__(self, path: str) -> None:
        self.db = SqliteDatabase(path, MIGRATIONS, name="SQLite campaign store")

    async def open(self) -> None:
        """Connect and migrate."""
        await self.db.open()

    async def close(self) -> None:
        """Close the connection."""
        await self.db.close()

    async def get_campaign(self, campaign_id: str) -> Campaign | None:
        """The campaign, or None."""
        doc = await self.db.one("SELECT doc FROM campaigns WHERE id = ?", (campaign_id,))
        return None if doc is None else Campaign.model_validate_json(doc)

    async def campaigns(self) -> list[Campaign]:
        """Every campaign, by id."""
        return [Campaign.model_validate_json(d) for d in await self.db.column("SELECT doc FROM campaigns ORDER BY id")]

    async def create_campaign(self, campaign: Campaign) -> bool:
        """Insert; False when the id is taken."""
        try:
            await self.db.run("INSERT INTO campaigns VALUES (?, ?, ?)",
                              (campaign.id, campaign.version, campaign.model_dump_json()))
        except sqlite3.IntegrityError:
            return False
        return True

    async def save_campaign(self, campaign: Campaign, *, expected_version: int) -> None:
        """Replace under optimistic locking."""
        saved = campaign.model_copy(update={"version": expected_version + 1})
        changed = await self.db.run("UPDATE campaigns SET version = ?, doc = ? WHERE id = ? AND version = ?",
                                    (saved.version, saved.model_dump_json(), campaign.id, expected_version))
        if changed == 0:
            if await self.get_campaign(campaign.id) is None:
                raise NotFound(f"no campaign {campaign.id!r}")
            raise Conflict(f"campaign {campaign.id} changed meanwhile; read it again")
        campaign.version = saved.version

    async def delete_campaign(self, campaign_id: str) -> bool:
        """Remove the campaign; its offers stay."""
        return await self.db.run("DELETE FROM campaigns WHERE id = ?", (campaign_id,)) > 0

    async def add_codes(self, campaign_id: str, codes: list[str]) -> int:
        """Add codes; how many were new."""
        async with self.db.transaction() as conn:
            added = 0
            for code in codes:
                added += await execute(conn, "INSERT OR IGNORE INTO campaign_codes (code, campaign_id) VALUES (?, ?)",
                                       (code, campaign_id))
            return added

    async def codes_left(self, campaign_id: str) -> int:
        """Free codes of the pool."""
        return int(await self.db.one("SELECT COUNT(*) FROM campaign_codes WHERE campaign_id = ? AND offer_id IS NULL",
                                     (campaign_id,)))

    async def take_code(self, campaign_id: str, offer_id: str) -> str | None:
        """The offer's code, else the next free one."""
        async with self.db.transaction() as conn:
            held = await fetch_one(conn, "SELECT code FROM campaign_codes WHERE offer_id = ?", (offer_id,))
            if held is not None:
                return str(held[0])
            free = await fetch_one(conn, "SELECT code FROM campaign_codes WHERE campaign_id = ? AND offer_id IS NULL"
                                   " ORDER BY code LIMIT 1", (campaign_id,))
            if free is None:
                return None
            await execute(conn, "UPDATE campaign_codes SET offer_id = ? WHERE code = ?", (offer_id, free[0]))
            return str(free[0])

    async def reserve(self, record: OfferRecord, limits: CapLimits) -> Reservation:
        """Check the caps and insert, in one write transaction."""
        async with self.db.transaction() as conn:
            found = await fetch_one(conn, "SELECT doc FROM campaign_offers WHERE id = ?", (record.id,))
            if found is not None:
                return Reservation(record=OfferRecord.model_validate_json(found[0]), replayed=True)
            if not record.control:
                refused = await self._over_cap(conn, record, limits)
                if refused is not None:
                    return Reservation(refused=refused)
            await execute(conn, "INSERT INTO campaign_offers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", _row(record))
            if not record.control:
                await execute(conn, COUNT_MADE, (record.campaign_id,))
        return Reservation(record=record)

    @staticmethod
    async def _over_cap(conn: Connection, record: OfferRecord, limits: CapLimits) -> str | None:
        """The cap this offer would break, counted inside the caller's transaction."""
        if limits.budget is not None:
            made = await _count(conn, "SELECT COALESCE(MAX(n), 0) FROM campaign_made WHERE campaign_id = ?",
                                (record.campaign_id,))
            if made >= limits.budget:
                return "budget"
        week = await _count(conn, "SELECT COUNT(*) FROM campaign_offers WHERE customer_id = ? AND week = ?"
                            " AND control = 0", (record.customer_id, record.week))
        return "weekly_limit" if week >= limits.weekly_limit else None

    async def record(self, record: OfferRecord) -> OfferRecord:
        """Insert unless present (counting a new offer made); the stored record."""
        async with self.db.transaction() as conn:
            inserted = await execute(conn, "INSERT OR IGNORE INTO campaign_offers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                     _row(record))
            if inserted and not record.control:
                await execute(conn, COUNT_MADE, (record.campaign_id,))
        if inserted:
            return record
        stored = await self.get_offer(record.id)
        assert stored is not None  # turns are never deleted
        return stored

    async def get_offer(self, offer_id: str) -> OfferRecord | None:
        """The record, or None."""
        doc = await self.db.one("SELECT doc FROM campaign_offers WHERE id = ?", (offer_id,))
        return None if doc is None else OfferRecord.model_validate_json(doc)

    async def offer_by_code(self, code: str) -> OfferRecord | None:
        """The record holding the code, or None."""
        doc = await self.db.one("SELECT doc FROM campaign_offers WHERE code = ?", (code,))
        return None if doc is None else OfferRecord.model_validate_json(doc)

    async def save_offer(self, record: OfferRecord, *, expected_version: int) -> None:
        """Replace under optimistic locking."""
        saved = record.model_copy(update={"version": expected_version + 1})
        try:
            changed = await self.db.run(
                "UPDATE campaign_offers SET code = ?, version = ?, doc = ? WHERE id = ? AND version = ?",
                (saved.code, saved.version, saved.model_dump_json(), record.id, expected_version))
        except sqlite3.IntegrityError as e:
            raise Conflict(f"code {record.code!r} is another offer's") from e
        if changed == 0:
            raise Conflict(f"offer {record.id} changed meanwhile; read it again")
        record.version = saved.version

    async def offers(self, campaign_id: str) -> list[OfferRecord]:
        """The campaign's records, oldest first."""
        rows = await self.db.column("SELECT doc FROM campaign_offers WHERE campaign_id = ? ORDER BY made_at, id",
                                    (campaign_id,), offloop=True)
        return [OfferRecord.model_validate_json(d) for d in rows]

    async def offers_of(self, customer_id: str) -> list[OfferRecord]:
        """The customer's records, oldest first."""
        rows = await self.db.column("SELECT doc FROM campaign_offers WHERE customer_id = ? ORDER BY made_at, id",
                                    (customer_id,))
        return [OfferRecord.model_validate_json(d) for d in rows]

    async def counters(self, customer_id: str, week: str) -> Counters:
        """The caps' counts now."""
        mine = await self.db.rows("SELECT campaign_id, week, control FROM campaign_offers WHERE customer_id = ?",
                                  (customer_id,))
        made = await self.db.rows("SELECT campaign_id, n FROM campaign_made")
        return Counters(customer_campaigns=frozenset(str(r[0]) for r in mine),
                        customer_week=sum(1 for r in mine if r[1] == week and not r[2]),
                        made={str(r[0]): int(r[1]) for r in made})
