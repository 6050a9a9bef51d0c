"""One SQLite file done right, shared by the embedded store and the in-process bus journal.

Short statements run inline, on the event loop's thread, through a plain `sqlite3` connection: a point lookup
or a write costs 5-14 µs of CPU there, against 60-90 µs through aiosqlite's thread (the statement, then the
hand-offs: `call_soon_threadsafe`, the self-pipe wake-up, the GIL going back and forth), and an ingested
message runs ~38 of them. A plain connection rather than aiosqlite's with `check_same_thread=False` and its
`_conn`: nothing would ever run on that thread, so it is a thread and a queue kept for nothing, and a plain
connection states who owns it. `check_same_thread` is off all the same, because a test's app may be served from
another thread than the one that opened it; only one thread at a time ever touches it (the loop's).

What stays off the loop, on a second connection served by aiosqlite's thread (WAL lets it read beside the
writer):

- Checkpoints. With WAL and synchronous=NORMAL a commit writes the log without fsync, but a checkpoint copies
  the log into the database and syncs both, so the main connection's automatic checkpoint is off and
  `_checkpoints` runs `wal_checkpoint(PASSIVE)` there CHECKPOINT_DELAY seconds after a commit (then again
  while commits keep coming). Under sustained load commits land during every checkpoint, which then leaves
  newer frames behind and the log never starts over (bench/ingest.py grew it by every frame written, 47 MB in
  a minute): so a second pass catches up holding the write lock (writers wait a few ms, asynchronously), and
  the next commit starts the log from its beginning. TRUNCATE runs when the log file has still grown past
  WAL_LIMIT bytes; while it waits for readers, new writers find the file busy and retry below.
- Reads that may be long: the rule is `offloop=True` on `rows`, `column` and `one` for a statement whose
  cost grows with a table rather than with one customer or conversation: reports, exports, searches, counts
  and listings over whole tables (reports, privacy exports, case/directory/review/CRM searches and counts,
  conversation pages). Everything else runs inline: measured under bench/ingest.py (27 statements a message
  outside the journal's batches), the hot path's reads are point lookups and per-conversation reads averaging
  20-80 µs, the writes 30-250 µs; hopping to a thread would cost more than most of them take. Inside
  `transaction()` an off-loop read of that same task runs inline, to see the transaction's own writes;
  elsewhere it sees what is committed, never another task's transaction half done. An in-memory database has
  no second connection: everything runs inline.

A busy file (another process holding the write lock) must not freeze the loop either: the main connection's
busy_timeout is 0, and a statement that finds the file busy outside a transaction (so nothing of it took
effect) is retried after an asynchronous sleep, for up to BUSY_TIMEOUT seconds, as busy_timeout did. The same
holds between the databases of one process on one file (the store, reviews, campaigns: each its own lock).

An inline `await` never suspends, so a loop of statements (an import, a retention walk) would keep the loop's
other tasks (requests, the checkpointer) waiting until it ends: every YIELD_EVERY-th statement gives them a turn,
as aiosqlite's hop did at every statement.

Every write holds the write lock, which keeps two tasks' transactions from interleaving on the connection.
Driver errors that are not ours to explain (a locked or broken file, a closed connection) become Unavailable,
so callers answer 503 and retry instead of crashing; IntegrityError passes through to the adapter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from models.errors import Unavailable

Params = tuple[Any, ...]
Connection = sqlite3.Connection
T = TypeVar("T")

BUSY_TIMEOUT = 5.0  # seconds a statement waits for a file busy elsewhere before it is an outage
YIELD_EVERY = 64  # statements run inline between two turns given to the loop's other tasks
CHECKPOINT_DELAY = 0.2  # seconds from a commit to the passive checkpoint that follows it
WAL_LIMIT = 32 * 1024 * 1024  # bytes of log file left after a checkpoint that call for a TRUNCATE one

_log = logging.getLogger(__name__)
_since_yield = 0


def _busy(error: sqlite3.OperationalError) -> bool:
    return (getattr(error, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_BUSY


async def _on_cursor(conn: Connection, sql: str, params: Params, take: Callable[[sqlite3.Cursor], T]) -> T:
    """Run one statement inline and `take` what is wanted from its cursor, then close it. Busy outside a
    transaction, the statement did nothing: it is tried again after a sleep that lets the loop run."""
    global _since_yield
    _since_yield += 1
    if _since_yield >= YIELD_EVERY:  # an inline await never suspends: a loop of statements would hold the loop
        _since_yield = 0
        await asyncio.sleep(0)
    pause, waited = 0.001, 0.0
    while True:
        idle = not conn.in_transaction
        try:
            cursor = conn.execute(sql, params)
            try:
                return take(cursor)
            finally:
                cursor.close()
        except sqlite3.OperationalError as e:
            if not (idle and _busy(e)) or waited >= BUSY_TIMEOUT:
                raise
        await asyncio.sleep(pause)
        waited += pause
        pause = min(pause * 2, 0.05)


async def execute(conn: Connection, sql: str, params: Params = ()) -> int:
    """Run one statement on `conn` and close its cursor; the number of rows changed."""
    return await _on_cursor(conn, sql, params, lambda cursor: int(cursor.rowcount))


async def execute_many(conn: Connection, sql: str, rows: Iterable[Params]) -> None:
    """Run one statement for each row and close the cursor, inside the caller's transaction (outside one,
    `SqliteDatabase.run_many` gives the rows a transaction of their own)."""
    conn.executemany(sql, list(rows)).close()


def _roll_back(conn: Connection) -> None:
    """Undo what is left of a failed transaction (SQLite already undid it after some errors, or a failed COMMIT
    may have left it open, where every later BEGIN would fail)."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")


async def fetch_one(conn: Connection, sql: str, params: Params = ()) -> Any:
    """The first row of a query (None if none), its cursor closed."""
    return await _on_cursor(conn, sql, params, lambda cursor: cursor.fetchone())


async def fetch_all(conn: Connection, sql: str, params: Params = ()) -> list[Any]:
    """Every row of a query, its cursor closed."""
    return await _on_cursor(conn, sql, params, lambda cursor: cursor.fetchall())


_CLOSED_CONNECTION = frozenset({"no active connection", "Connection closed"})  # aiosqlite's words


class SqliteDatabase:
    """A connection in WAL mode with its write lock and schema migrations, and (on a file) a second one off the
    loop for checkpoints and long reads."""

    def __init__(self, path: str, migrations: Mapping[str, list[str]], *, name: str = "SQLite store") -> None:
        self.path = path
        self.migrations = migrations  # per feature ("core", "webhooks", ...): each its own numbered list
        self.name = name
        self._conn: Connection | None = None
        self._side: aiosqlite.Connection | None = None  # checkpoints and long reads, on aiosqlite's thread
        self._checkpointer: asyncio.Task[None] | None = None
        self._dirty = False  # committed since the last checkpoint began
        self._writer: asyncio.Task[Any] | None = None  # the task inside transaction(), if any
        self.checkpoints = 0  # checkpoints run (tests and benchmarks watch it)
        self.checkpoint_delay = CHECKPOINT_DELAY
        self.wal_limit = WAL_LIMIT
        self.write_lock = asyncio.Lock()

    @property
    def conn(self) -> Connection:
        """The open connection; Unavailable before open() or after close()."""
        if self._conn is None:
            raise Unavailable(f"{self.name} is not open")
        return self._conn

    async def open(self) -> None:
        """Connect, switch to WAL and apply each feature's pending migrations, recorded in schema_versions."""
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            # WAL + NORMAL: durable across app crashes. Opening may wait for the file (nothing else runs yet).
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=5000", "foreign_keys=ON"):
                conn.execute(f"PRAGMA {pragma}").close()
            self._migrate(conn)  # with SQLite's own checkpoints still on: nothing else runs yet
            # From now on checkpoints are _checkpoints' and a busy file is waited for asynchronously.
            for pragma in ("wal_autocheckpoint=0", "busy_timeout=0"):
                conn.execute(f"PRAGMA {pragma}").close()
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        if self.path != ":memory:":
            self._side = await aiosqlite.connect(self.path, isolation_level=None)
            for pragma in ("busy_timeout=5000", "wal_autocheckpoint=0"):
                await self._side.execute_fetchall(f"PRAGMA {pragma}")

    def _migrate(self, conn: Connection) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_versions"
                     " (feature TEXT PRIMARY KEY, version INTEGER NOT NULL)").close()
        for feature, scripts in self.migrations.items():
            found = conn.execute("SELECT version FROM schema_versions WHERE feature = ?", (feature,)).fetchone()
            current = int(found[0]) if found else 0
            for number, script in enumerate(scripts[current:], start=current + 1):
                # Features are independent: each adds its own tables, so they may grow in any order.
                conn.executescript(
                    f"BEGIN;\n{script}\nINSERT INTO schema_versions (feature, version) VALUES ('{feature}', {number})"
                    f" ON CONFLICT(feature) DO UPDATE SET version = excluded.version;\nCOMMIT;")

    async def close(self) -> None:
        """Close: no statement runs after this starts; an in-flight checkpoint finishes first, and the last
        connection to go (the off-loop one) folds the log into the file on its own thread."""
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        side, self._side = self._side, None
        checkpointer, self._checkpointer = self._checkpointer, None
        if checkpointer is not None:
            checkpointer.cancel()  # a sleeping one stops; a running statement still finishes on the thread
            await asyncio.gather(checkpointer, return_exceptions=True)
        conn.close()
        if side is not None:
            await side.close()  # queued behind whatever the thread is running

    async def set_trace_callback(self, callback: Callable[[str], object] | None) -> None:
        """Trace every statement of both connections (tests look at what really runs)."""
        self.conn.set_trace_callback(callback)
        if self._side is not None:
            await self._side.set_trace_callback(callback)  # type: ignore[arg-type]  # aiosqlite's hint omits None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """One write transaction at a time; rolled back on any error."""
        async with self.write_lock, self._translated():
            conn = self.conn
            await execute(conn, "BEGIN IMMEDIATE")
            self._writer = asyncio.current_task()  # not a contextvar: tasks it starts are not inside
            try:
                yield conn
                self.conn.execute("COMMIT")  # Unavailable if closed meanwhile (closing rolled it back)
            except BaseException:
                if self._conn is conn:
                    _roll_back(conn)
                raise
            finally:
                self._writer = None
            self._committed()

    async def write_batch(self, statements: list[tuple[str, list[Params]]]) -> None:
        """Each statement once per row, all in one transaction: a group commit costs what one statement costs,
        however many rows it carries."""
        async with self.write_lock, self._translated():
            conn = self.conn
            await execute(conn, "BEGIN IMMEDIATE")
            try:
                for sql, rows in statements:
                    conn.executemany(sql, rows).close()
                conn.execute("COMMIT")
            except BaseException:
                _roll_back(conn)
                raise
            self._committed()

    async def run(self, sql: str, params: Params = ()) -> int:
        """One write statement outside a transaction; the number of rows changed."""
        async with self.write_lock, self._translated():
            changed = await execute(self.conn, sql, params)
            self._committed()
            return changed

    async def run_many(self, sql: str, rows: Iterable[Params]) -> None:
        """One write statement per row, in one transaction, under the write lock."""
        await self.write_batch([(sql, list(rows))])

    async def one(self, sql: str, params: Params = (), *, offloop: bool = False) -> Any:
        """The first column of the first row, or None."""
        if offloop:
            found = await self.rows(sql, params, offloop=True)
            return found[0][0] if found else None
        async with self._translated():
            row = await fetch_one(self.conn, sql, params)
        return None if row is None else row[0]

    async def rows(self, sql: str, params: Params = (), *, offloop: bool = False) -> list[Any]:
        """Every row, read in one call (no statement stays open between awaits). `offloop`: a read that may be
        long, run on the second connection's thread (see the module docstring)."""
        async with self._translated():
            side = self._side
            if offloop and side is not None and self._writer is not asyncio.current_task():
                if self._conn is None:
                    raise Unavailable(f"{self.name} is not open")
                return list(await side.execute_fetchall(sql, params))
            return await fetch_all(self.conn, sql, params)

    async def column(self, sql: str, params: Params = (), *, offloop: bool = False) -> list[Any]:
        """The first column of every row."""
        return [row[0] for row in await self.rows(sql, params, offloop=offloop)]

    def _committed(self) -> None:
        """A commit went in: make sure a checkpoint follows."""
        self._dirty = True
        if self._side is not None and self._checkpointer is None:
            self._checkpointer = asyncio.get_running_loop().create_task(self._checkpoints())

    async def _checkpoints(self) -> None:
        """Checkpoint CHECKPOINT_DELAY after a commit, again while commits keep coming."""
        try:
            while self._dirty and self._side is not None:
                await asyncio.sleep(self.checkpoint_delay)
                self._dirty = False
                await self.checkpoint()
        except Exception as e:  # the next commit tries again; the file stays consistent either way
            _log.warning("%s: checkpoint failed: %s", self.name, e)
        finally:
            if self._checkpointer is asyncio.current_task():
                self._checkpointer = None

    async def checkpoint(self) -> None:
        """A PASSIVE checkpoint off the loop, then a second one that catches up with this connection's writers held
        off: only a complete checkpoint lets the next commit start the log over, and under sustained load commits
        land during every first pass (measured: without the second pass the log grew by every frame written,
        though each pass reported itself complete). TRUNCATE too if the log file is
        still over `wal_limit` bytes (another process reading an old snapshot can make it so)."""
        side = self._side
        if side is None:
            return
        (_, log, _), = await side.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
        if log > 0:  # its answer counts only the frames there when it began: commits since are not in it
            async with self.write_lock:  # only the frames of the first pass's time are left: a short hold
                if self._side is side:
                    await side.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
        self.checkpoints += 1
        if _size(self.path + "-wal") > self.wal_limit:  # a stat: metadata, no wait for the disk
            await side.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)")

    @asynccontextmanager
    async def _translated(self) -> AsyncIterator[None]:
        try:
            yield
        except sqlite3.IntegrityError:
            raise  # a broken uniqueness rule: the adapter turns it into Conflict or False
        except (sqlite3.OperationalError, sqlite3.InterfaceError, sqlite3.DatabaseError) as e:  # closed, too
            raise Unavailable(f"{self.name}: {e}") from e
        except ValueError as e:  # aiosqlite's closed connection is an outage; a caller's bad value is not
            if str(e) not in _CLOSED_CONNECTION:
                raise
            raise Unavailable(f"{self.name}: {e}") from e


def _size(path: str) -> int:
    with contextlib.suppress(FileNotFoundError):
        return os.stat(path).st_size
    return 0
