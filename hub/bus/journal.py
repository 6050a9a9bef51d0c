"""A write-ahead journal for the in-process bus, so the embedded default loses nothing on a crash.

Every entry is written to a small SQLite file before it is queued and deleted when its group has
handled (or dead-lettered) it; on start the bus re-queues whatever is left. One row per (stream,
group, entry); group '' holds entries published before any group existed.

Writes are group-committed: rows submitted while a transaction is in flight go together in the next one,
so many concurrent publishes cost one SQLite commit (and one trip to its thread) instead of one each.
A record's future resolves only after its commit; deletes are not waited for, and while only deletes are
pending they gather for up to DELETE_GATHER seconds (a crash before they commit replays entries that were
handled, which every handler takes idempotently: the journal promises at-least-once, never at-most-once).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

from hub.stores.sqlite.db import Params, SqliteDatabase
from models.errors import Unavailable

BACKLOG = ""
DELETE_GATHER = 0.05  # seconds deletes wait for company when no record is pending

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
_INSERT = "INSERT OR IGNORE INTO bus_entries (stream, group_name, seq, payload) VALUES (?, ?, ?, ?)"
_DELETE = "DELETE FROM bus_entries WHERE stream = ? AND group_name = ? AND seq = ?"


@dataclass
class _Write:
    """Rows to insert or delete, what to do once they are committed, and who waits for it."""

    insert: list[Params] = field(default_factory=list)
    delete: list[Params] = field(default_factory=list)
    then: Callable[[], None] | None = None
    done: asyncio.Future[None] | None = None


class SqliteBusJournal:
    """The journal on its own SQLite file (WAL), apart from the store so neither waits on the other."""

    def __init__(self, path: str) -> None:
        self.db = SqliteDatabase(path, {"bus_journal": _MIGRATIONS}, name="bus journal")
        self._pending: list[_Write] = []
        self._writer: asyncio.Task[None] | None = None
        self._urgent = asyncio.Event()  # a record is pending: commit now

    async def open(self) -> None:
        """Create the file and table if needed."""
        await self.db.open()

    async def close(self) -> None:
        """Commit what is pending, then close the file."""
        await self.flush()
        await self.db.close()

    def record(self, stream: str, groups: list[str], seq: int, payload: str, *,
               then: Callable[[], None] | None = None) -> asyncio.Future[None]:
        """Remember an entry for each group that must handle it; the future resolves once it is committed,
        right after `then` ran (commits and their `then`s keep the order of the calls)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._submit(_Write(insert=[(stream, group, seq, payload) for group in groups], then=then, done=done))
        return done

    def forget(self, stream: str, group: str, seq: int) -> None:
        """The group is done with the entry (or it was trimmed from a backlog): deleted with the next commit."""
        self._submit(_Write(delete=[(stream, group, seq)]))

    async def flush(self) -> None:
        """Wait until everything submitted so far is committed (or failed)."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    async def assign_backlog(self, stream: str, group: str) -> None:
        """The first group of a stream takes the entries that waited for one."""
        await self.flush()
        await self.db.run(
            "UPDATE bus_entries SET group_name = ? WHERE stream = ? AND group_name = ?", (group, stream, BACKLOG)
        )

    async def unfinished(self) -> list[tuple[str, str, int, str]]:
        """(stream, group, seq, payload) of every entry not yet handled, oldest first."""
        await self.flush()
        rows = await self.db.rows("SELECT stream, group_name, seq, payload FROM bus_entries ORDER BY seq")
        return [(str(r[0]), str(r[1]), int(r[2]), str(r[3])) for r in rows]

    def _submit(self, write: _Write) -> None:
        self._pending.append(write)
        if write.done is not None:
            self._urgent.set()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_pending())

    async def _write_pending(self) -> None:
        """Commit the pending writes batch after batch until none are left."""
        while self._pending:
            if not self._urgent.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._urgent.wait(), DELETE_GATHER)
            self._urgent.clear()
            batch, self._pending = self._pending, []
            try:
                await self.db.write_batch([(_INSERT, [row for w in batch for row in w.insert]),
                                           (_DELETE, [row for w in batch for row in w.delete])])
            except Exception as e:  # the store's outage reaches every publisher of the batch (they answer 503)
                _fail(batch, e)
                continue
            except BaseException:
                _fail([*batch, *self._pending], Unavailable("bus journal: write interrupted"))
                self._pending = []
                raise
            for write in batch:
                if write.then is not None:
                    write.then()
                if write.done is not None and not write.done.done():
                    write.done.set_result(None)


def _fail(batch: list[_Write], error: Exception) -> None:
    for write in batch:
        if write.done is not None and not write.done.done():
            write.done.set_exception(error)
