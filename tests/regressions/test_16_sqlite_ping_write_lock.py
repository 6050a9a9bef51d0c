"""Issue 16, fault campaign "the store made unavailable": another process holding the SQLite file's write lock
(a backup, an `sqlite3` shell) makes every write fail as "database is locked", yet the store's ping was a bare
`SELECT 1`, which answers without touching the file. The worker asks the ping whether a failure was an outage,
so it spent the entry's bus attempts instead of retrying it in place. The ping now takes the write lock.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from hub.stores.sqlite.stores import SqliteStores
from models.errors import Unavailable


async def test_ping_reports_the_store_unavailable_while_another_process_holds_its_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "otklik.sqlite3"
    stores = SqliteStores(str(path))
    await stores.open()
    try:
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as other:
            other.execute("BEGIN EXCLUSIVE")
            with pytest.raises(Unavailable, match="locked"):
                await stores.ping()
            other.execute("ROLLBACK")
        await stores.ping()  # the lock is gone: the store answers again
    finally:
        await stores.close()
