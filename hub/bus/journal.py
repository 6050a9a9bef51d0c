"""A write-ahead journal for the in-process bus, so the embedded default loses nothing on a crash.

Every entry is written to a small SQLite file before it is queued and deleted when its group has
handled (or dead-lettered) it; on start the bus re-queues whatever is left. One row per (stream,
group, entry); group '' holds entries published before any group existed.
"""

from __future__ import annotations

from hub.stores.sqlite.db import SqliteDatabase

BACKLOG = ""

_MIGRATIONS = [
    """
    CREATE TABLE bus_entries (
        stream TEXT NOT NULL,
        group_name TEXT NOT NULL,
        seq INTEGER NOT NULL,
        payload TEXT NOT NULL,
        PRIMARY KEY (stream, group_name, seq)
    );
    """,
]


class SqliteBusJournal:
    """The journal on its own SQLite file (WAL), apart from the store so neither waits on the other."""

    def __init__(self, path: str) -> None:
        self.db = SqliteDatabase(path, {"bus_journal": _MIGRATIONS}, name="bus journal")

    async def open(self) -> None:
        """Create the file and table if needed."""
        await self.db.open()

    async def close(self) -> None:
        """Close the file."""
        await self.db.close()

    async def record(self, stream: str, groups: list[str], seq: int, payload: str) -> None:
        """Remember an entry for each group that must handle it."""
        await self.db.run_many(
            "INSERT OR IGNORE INTO bus_entries (stream, group_name, seq, payload) VALUES (?, ?, ?, ?)",
            [(stream, group, seq, payload) for group in groups],
        )

    async def assign_backlog(self, stream: str, group: str) -> None:
        """The first group of a stream takes the entries that waited for one."""
        await self.db.run(
            "UPDATE bus_entries SET group_name = ? WHERE stream = ? AND group_name = ?", (group, stream, BACKLOG)
        )

    async def forget(self, stream: str, group: str, seq: int) -> None:
        """The group is done with the entry (or it was trimmed from a backlog)."""
        await self.db.run(
            "DELETE FROM bus_entries WHERE stream = ? AND group_name = ? AND seq = ?", (stream, group, seq)
        )

    async def unfinished(self) -> list[tuple[str, str, int, str]]:
        """(stream, group, seq, payload) of every entry not yet handled, oldest first."""
        rows = await self.db.rows("SELECT stream, group_name, seq, payload FROM bus_entries ORDER BY seq")
        return [(str(r[0]), str(r[1]), int(r[2]), str(r[3])) for r in rows]
