"""SqliteDatabase runs short statements on the loop: its checkpoints and long reads must stay off it."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from hub.stores.sqlite.db import SqliteDatabase, execute
from models.errors import Unavailable

SCHEMA = {"t": ["CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL);"]}
ROW = b"x" * 8000  # two pages a row: the log grows fast
SLOW = ("SELECT (SELECT count(*) FROM t), (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c"
        " WHERE x < 3000000) SELECT count(*) FROM c)")


async def opened(path: Path) -> SqliteDatabase:
    db = SqliteDatabase(str(path), SCHEMA)
    await db.open()
    return db


async def test_checkpoints_run_off_the_loop_and_keep_the_log_bounded_under_sustained_writes(tmp_path: Path) -> None:
    db = await opened(tmp_path / "db.sqlite3")
    db.checkpoint_delay = 0.005
    traced: list[tuple[int, str]] = []
    await db.set_trace_callback(lambda sql: traced.append((threading.get_ident(), sql)))
    wal = tmp_path / "db.sqlite3-wal"
    try:
        assert await db.one("PRAGMA wal_autocheckpoint") == 0  # no commit on the loop ever checkpoints
        sizes, commits = [], 3000
        for n in range(commits):  # a writer that never waits for the checkpoints, only lets the loop run
            async with db.transaction() as conn:
                await execute(conn, "INSERT INTO t (v) VALUES (?)", (ROW,))
            if n % 10 == 0:
                await asyncio.sleep(0.0005)
            if n % 100 == 99:
                sizes.append(wal.stat().st_size)
        assert db.checkpoints > 1
        written = commits * len(ROW)  # 24 MB of rows: the log without checkpoints holds all of it, and more
        assert max(sizes) < written / 8, (written, sizes)  # under 1 MB seen: the log starts over
        checkpoints = [(thread, sql) for thread, sql in traced if "wal_checkpoint" in sql]
        assert checkpoints
        assert all(thread != threading.get_ident() for thread, _ in checkpoints)  # never on the loop's thread
    finally:
        await db.close()
    assert not wal.exists() or wal.stat().st_size == 0  # the last connection folded the log in on close


async def test_a_log_over_the_limit_is_truncated(tmp_path: Path) -> None:
    db = await opened(tmp_path / "db.sqlite3")
    db.checkpoint_delay = 3600.0  # only the explicit checkpoint below
    db.wal_limit = 64 * 1024
    try:
        async with db.transaction() as conn:
            for _ in range(100):
                await execute(conn, "INSERT INTO t (v) VALUES (?)", (ROW,))
        assert (tmp_path / "db.sqlite3-wal").stat().st_size > db.wal_limit
        await db.checkpoint()
        assert (tmp_path / "db.sqlite3-wal").stat().st_size == 0
        assert await db.one("SELECT count(*) FROM t") == 100
    finally:
        await db.close()


async def test_a_long_read_off_the_loop_neither_blocks_nor_breaks_a_write_transaction(tmp_path: Path) -> None:
    db = await opened(tmp_path / "db.sqlite3")
    try:
        await db.run_many("INSERT INTO t (v) VALUES (?)", [(b"a",)] * 10)
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        ticking = asyncio.create_task(ticker())
        async with db.transaction() as conn:
            await execute(conn, "INSERT INTO t (v) VALUES (?)", (b"b",))
            reader = asyncio.create_task(db.rows(SLOW, offloop=True))
            await asyncio.sleep(0.05)  # the read is under way, beside the open transaction
            await execute(conn, "INSERT INTO t (v) VALUES (?)", (b"c",))
            assert await db.one("SELECT count(*) FROM t") == 12  # inside: the transaction's own writes
            assert await db.one("SELECT count(*) FROM t", offloop=True) == 12  # offloop inside one: inline
            before = ticks
        assert not reader.done()  # committed while the long read ran
        await db.write_batch([("INSERT INTO t (v) VALUES (?)", [(b"d",), (b"e",)])])
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await execute(conn, "INSERT INTO t (v) VALUES (?)", (b"never",))
                raise RuntimeError("rolled back")
        (count, steps), = await reader
        assert ticks > before  # the loop kept running during the read
        ticking.cancel()
        assert (count, steps) == (10, 3000000)  # the committed snapshot: not the open transaction's rows
        assert await db.one("SELECT count(*) FROM t") == 14
        assert await db.one("SELECT count(*) FROM t", offloop=True) == 14
    finally:
        await db.close()


async def test_no_statement_after_close_and_close_waits_for_a_running_checkpoint(tmp_path: Path) -> None:
    db = await opened(tmp_path / "db.sqlite3")
    db.checkpoint_delay = 0.0
    async with db.transaction() as conn:
        for _ in range(200):
            await execute(conn, "INSERT INTO t (v) VALUES (?)", (ROW,))
    await asyncio.sleep(0.001)  # the checkpointer starts its statement on the thread
    await db.close()
    for statement in (db.one("SELECT 1"), db.rows("SELECT 1", offloop=True), db.run("DELETE FROM t")):
        with pytest.raises(Unavailable):
            await statement
    with sqlite3.connect(tmp_path / "db.sqlite3") as other:  # closed cleanly: every row in the file
        assert other.execute("SELECT count(*) FROM t").fetchone() == (200,)


async def test_a_file_busy_elsewhere_is_waited_for_without_freezing_the_loop(tmp_path: Path) -> None:
    db = await opened(tmp_path / "db.sqlite3")
    other = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        writing = asyncio.create_task(db.run("INSERT INTO t (v) VALUES (?)", (b"late",)))
        ticks = 0
        for _ in range(20):
            await asyncio.sleep(0.005)
            ticks += 1
        assert not writing.done() and ticks == 20
        other.execute("ROLLBACK")
        assert await writing == 1
    finally:
        other.close()
        await db.close()


async def test_closing_under_a_transaction_makes_it_unavailable_and_keeps_the_file_as_it_was(tmp_path: Path) -> None:
    db = await opened(tmp_path / "db.sqlite3")
    await db.run("INSERT INTO t (v) VALUES (?)", (b"kept",))
    with pytest.raises(Unavailable):
        async with db.transaction() as conn:
            await execute(conn, "INSERT INTO t (v) VALUES (?)", (b"lost",))
            await db.close()
            await execute(conn, "INSERT INTO t (v) VALUES (?)", (b"after close",))
    with sqlite3.connect(tmp_path / "db.sqlite3") as other:
        assert other.execute("SELECT v FROM t").fetchall() == [(b"kept",)]
