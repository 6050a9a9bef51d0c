"""Issue 2, found by the ingest benchmark: concurrent publishes on the journaled in-process bus failed
with sqlite3.InterfaceError ("bad parameter or other API misuse") because cursors were left open."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hub.bus.base import BusPolicy
from hub.bus.journal import SqliteBusJournal
from hub.bus.memory import MemoryBus


async def test_many_concurrent_publishers_and_a_consumer_share_the_journal_without_errors(tmp_path: Path) -> None:
    bus = MemoryBus(BusPolicy(max_attempts=1), journal=SqliteBusJournal(str(tmp_path / "j.sqlite3")))
    await bus.open()
    handled: list[str] = []
    stop = asyncio.Event()

    async def handler(payload: str) -> None:
        handled.append(payload)
        await bus.publish("events", payload)  # handlers publish too, as the outbox does

    consumer = asyncio.create_task(bus.consume("s", "g", "c", handler, stop=stop))

    async def publisher(n: int) -> None:
        for k in range(60):
            await bus.publish("s", f"{n}-{k}")

    await asyncio.gather(*(publisher(n) for n in range(32)))
    async with asyncio.timeout(30):
        while len(handled) < 32 * 60:
            await asyncio.sleep(0.01)
    stop.set()
    await consumer
    assert await bus.dead_letters("s") == []
    assert sorted(handled) == sorted(f"{n}-{k}" for n in range(32) for k in range(60))
    left = await bus.journal.unfinished()  # type: ignore[union-attr]
    await bus.close()
    assert {stream for stream, *_ in left} == {"events"}  # everything on "s" was handled and forgotten
