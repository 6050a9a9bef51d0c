"""One SQLite connection done right, shared by the embedded store and the in-process bus journal.

aiosqlite runs every call on one thread; cursors must be closed before the next statement from
another task runs, or SQLite answers "bad parameter or other API misuse". So every statement here
runs inside `async with` and every write holds the write lock, which also keeps two transactions
from interleaving on the shared connection. Driver errors that are not ours to explain (a locked or
broken file) become Unavailable, so callers answer 503 and retry instead of crashing.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from models.errors import Unavailable

Params = tuple[Any, ...]
T = TypeVar("T")


async def _on_cursor(conn: aiosqlite.Connection, sql: str, params: Params, take: Callable[[sqlite3.Cursor], T]) -> T:
    """Run one statement and `take` what is wanted from its cursor, then close it, all in one trip to aiosqlite's
    thread (`async with conn.execute(...)` takes two: the statement, then the close)."""

    def run() -> T:
        cursor = conn._conn.execute(sql, params)
        try:
            return take(cursor)
        finally:
            cursor.close()

    result: T = await conn._execute(run)  # type: ignore[no-untyped-call]
    return result


async def execute(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> int:
    """Run one statement on `conn` and close its cursor; the number of rows changed."""
    return await _on_cursor(conn, sql, params, lambda cursor: int(cursor.rowcount))


async def execute_many(conn: aiosqlite.Connection, sql: str, rows: Iterable[Params]) -> None:
    """Run one statement for each row and close the cursor, in one trip to aiosqlite's thread."""
    rows = list(rows)  # read here: the thread must not run the caller's generator
    await conn._execute(lambda: conn._conn.executemany(sql, rows).close())  # type: ignore[no-untyped-call]


async def fetch_one(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> Any:
    """The first row of a query (None if none), its cursor closed, in one trip to aiosqlite's thread."""
    return await _on_cursor(conn, sql, params, lambda cursor: cursor.fetchone())


async def fetch_all(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> list[Any]:
    """Every row of a query, its cursor closed, in one trip to aiosqlite's thread."""
    return await _on_cursor(conn, sql, params, lambda cursor: cursor.fetchall())


_CLOSED_CONNECTION = frozenset({"no active connection", "Connection closed"})  # aiosqlite's words


class SqliteDatabase:
    """A connection in WAL mode with its write lock and schema migrations."""

    def __init__(self, path: str, migrations: Mapping[str, list[str]], *, name: str = "SQLite store") -> None:
        self.path = path
        self.migrations = migrations  # per feature ("core", "webhooks", ...): each its own numbered list
        self.name = name
        self._conn: aiosqlite.Connection | None = None
        self.write_lock = asyncio.Lock()

    @property
    def conn(self) -> aiosqlite.Connection:
        """The open connection; Unavailable before open() or after close()."""
        if self._conn is None:
            raise Unavailable(f"{self.name} is not open")
        return self._conn

    async def open(self) -> None:
        """Connect, switch to WAL and apply each feature's pending migrations, recorded in schema_versions."""
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = await aiosqlite.connect(self.path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=5000", "foreign_keys=ON"):
            await execute(self._conn, f"PRAGMA {pragma}")  # WAL + NORMAL: durable across app crashes
        await execute(self._conn, "CREATE TABLE IF NOT EXISTS schema_versions"
                                  " (feature TEXT PRIMARY KEY, version INTEGER NOT NULL)")
        for feature, scripts in self.migrations.items():
            current = int(await self.one("SELECT version FROM schema_versions WHERE feature = ?", (feature,)) or 0)
            for number, script in enumerate(scripts[current:], start=current + 1):
                # Features are independent: each adds its own tables, so they may grow in any order.
                await self._conn.executescript(
                    f"BEGIN;\n{script}\nINSERT INTO schema_versions (feature, version) VALUES ('{feature}', {number})"
                    f" ON CONFLICT(feature) DO UPDATE SET version = excluded.version;\nCOMMIT;")

    async def close(self) -> None:
        """Close the connection."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction at a time; rolled back on any error."""
        async with self.write_lock, self._translated():
            await execute(self.conn, "BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await execute(self.conn, "ROLLBACK")
                raise
            await execute(self.conn, "COMMIT")

    async def write_batch(self, statements: list[tuple[str, list[Params]]]) -> None:
        """Each statement once per row, all in one transaction and one trip to the connection's thread: a group
        commit costs what one statement costs, however many rows it carries."""

        def write() -> None:
            conn = self.conn._conn  # on aiosqlite's thread, the only one using the connection
            conn.execute("BEGIN IMMEDIATE")
            try:
                for sql, rows in statements:
                    conn.executemany(sql, rows).close()
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

        async with self.write_lock, self._translated():
            await self.conn._execute(write)  # type: ignore[no-untyped-call]

    async def run(self, sql: str, params: Params = ()) -> int:
        """One write statement outside a transaction; the number of rows changed."""
        async with self.write_lock, self._translated():
            return await execute(self.conn, sql, params)

    async def run_many(self, sql: str, rows: Iterable[Params]) -> None:
        """One write statement per row, under the write lock."""
        async with self.write_lock, self._translated():
            await execute_many(self.conn, sql, rows)

    async def one(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        found = await self.rows(sql, params)
        return found[0][0] if found else None

    async def rows(self, sql: str, params: Params = ()) -> list[sqlite3.Row | tuple[Any, ...]]:
        """Every row, read in one call: no statement stays open between awaits, where another task's
        BEGIN IMMEDIATE on this connection would find a stale read snapshot and fail at once as "locked"."""
        async with self._translated():
            return list(await self.conn.execute_fetchall(sql, params))

    async def column(self, sql: str, params: Params = ()) -> list[Any]:
        """The first column of every row."""
        return [row[0] for row in await self.rows(sql, params)]

    @asynccontextmanager
    async def _translated(self) -> AsyncIterator[None]:
        try:
            yield
        except sqlite3.IntegrityError:
            raise  # a broken uniqueness rule: the adapter turns it into Conflict or False
        except (sqlite3.OperationalError, sqlite3.InterfaceError, sqlite3.DatabaseError) as e:
            raise Unavailable(f"{self.name}: {e}") from e
        except ValueError as e:  # aiosqlite's closed connection is an outage; a caller's bad value is not
            if str(e) not in _CLOSED_CONNECTION:
                raise
            raise Unavailable(f"{self.name}: {e}") from e
