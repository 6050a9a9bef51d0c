"""A write-ahead journal for the in-process bus, so the embedded default loses nothing on a crash.

Every entry is written to a small SQLite file before it is queued and deleted when its group has
handled (or dead-lettered) it; on start the bus re-queues whatever is left. One row per (stream,
group, entry); group '' holds entries published before any group existed.
"""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from models.errors import Unavailable

BACKLOG = ""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS bus_entries (
    stream TEXT NOT NULL,
    group_name TEXT NOT NULL,
    seq INTEGER NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (stream, group_name, seq)
);
"""


class SqliteBusJournal:
    """The journal on its own SQLite file (WAL), apart from the store so neither waits on the other."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: aiosqlite.Connection | None = None

    @property
    def conn(self) -> aiosqlite.Connection:
        """The open connection."""
        if self._conn is None:
            raise Unavailable("bus journal is not open")
        return self._conn

    async def open(self) -> None:
        """Create the file and table if needed."""
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = await aiosqlite.connect(self.path, isolation_level=None)
        await self._conn.execute("PRAGMA journal_mode=WAL")
        await self._conn.execute("PRAGMA synchronous=NORMAL")
        await self._conn.executescript(_SCHEMA)

    async def close(self) -> None:
        """Close the file."""
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def record(self, stream: str, groups: list[str], seq: int, payload: str) -> None:
        """Remember an entry for each group that must handle it."""
        await self.conn.executemany(
            "INSERT OR IGNORE INTO bus_entries (stream, group_name, seq, payload) VALUES (?, ?, ?, ?)",
            [(stream, group, seq, payload) for group in groups],
        )

    async def assign_backlog(self, stream: str, group: str) -> None:
        """The first group of a stream takes the entries that waited for one."""
        await self.conn.execute(
            "UPDATE bus_entries SET group_name = ? WHERE stream = ? AND group_name = ?", (group, stream, BACKLOG)
        )

    async def forget(self, stream: str, group: str, seq: int) -> None:
        """The group is done with the entry."""
        await self.conn.execute(
            "DELETE FROM bus_entries WHERE stream = ? AND group_name = ? AND seq = ?", (stream, group, seq)
        )

    async def unfinished(self) -> list[tuple[str, str, int, str]]:
        """(stream, group, seq, payload) of every entry not yet handled, oldest first."""
        async with self.conn.execute(
            "SELECT stream, group_name, seq, payload FROM bus_entries ORDER BY seq"
        ) as cursor:
            rows = await cursor.fetchall()
        return [(str(r[0]), str(r[1]), int(r[2]), str(r[3])) for r in rows]
