"""The in-process bus's journal: what was accepted but not handled comes back after a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hub.bus.base import BusPolicy
from hub.bus.journal import SqliteBusJournal
from hub.bus.memory import MemoryBus

POLICY = BusPolicy(max_attempts=2, retry_after=0.05)


async def started(path: Path) -> MemoryBus:
    bus = MemoryBus(POLICY, journal=SqliteBusJournal(str(path)))
    await bus.open()
    return bus


async def collect(bus: MemoryBus, count: int, *, block_on: str | None = None) -> list[str]:
    """Consume until `count` entries were handled; an entry equal to `block_on` hangs forever."""
    seen: list[str] = []
    stop = asyncio.Event()

    async def handler(payload: str) -> None:
        if payload == block_on:
            await asyncio.Event().wait()
        seen.append(payload)
        if len(seen) == count:
            stop.set()

    task = asyncio.create_task(bus.consume("s", "g", "c", handler, stop=stop))
    async with asyncio.timeout(5):
        while len(seen) < count:
            await asyncio.sleep(0.01)
    if block_on is not None:
        await asyncio.sleep(0.05)  # let the consumer reach the hanging entry
        task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return seen


async def test_entries_published_before_a_restart_are_delivered_after_it(tmp_path: Path) -> None:
    bus = await started(tmp_path / "j.sqlite3")
    for n in range(3):
        await bus.publish("s", f"e{n}")
    await bus.close()

    again = await started(tmp_path / "j.sqlite3")
    try:
        assert await collect(again, 3) == ["e0", "e1", "e2"]
        assert await again.publish("s", "e3") == "4-0"  # ids keep counting up after a restart
    finally:
        await again.close()


async def test_only_the_entries_not_yet_handled_come_back(tmp_path: Path) -> None:
    bus = await started(tmp_path / "j.sqlite3")
    for n in range(4):
        await bus.publish("s", f"e{n}")
    assert await collect(bus, 2, block_on="e2") == ["e0", "e1"]  # dies inside e2
    await bus.close()

    again = await started(tmp_path / "j.sqlite3")
    try:
        assert await collect(again, 2) == ["e2", "e3"]
    finally:
        await again.close()
    third = await started(tmp_path / "j.sqlite3")
    try:
        assert await third.journal.unfinished() == []  # type: ignore[union-attr]
    finally:
        await third.close()


async def test_dead_lettered_entries_are_not_replayed(tmp_path: Path) -> None:
    bus = await started(tmp_path / "j.sqlite3")
    await bus.publish("s", "poison")
    stop = asyncio.Event()

    async def fail(payload: str) -> None:
        raise ValueError("cannot handle " + payload)

    task = asyncio.create_task(bus.consume("s", "g", "c", fail, stop=stop))
    async with asyncio.timeout(5):
        while not await bus.dead_letters("s"):
            await asyncio.sleep(0.01)
    stop.set()
    await task
    await bus.close()

    again = await started(tmp_path / "j.sqlite3")
    try:
        assert await again.journal.unfinished() == []  # type: ignore[union-attr]
    finally:
        await again.close()


async def test_a_stream_nobody_consumes_keeps_only_the_newest_entries(tmp_path: Path) -> None:
    bus = MemoryBus(POLICY, journal=SqliteBusJournal(str(tmp_path / "j.sqlite3")), backlog_limit=5)
    await bus.open()
    for n in range(12):
        await bus.publish("s", f"e{n}")
    left = [payload for *_, payload in await bus.journal.unfinished()]  # type: ignore[union-attr]
    assert left == [f"e{n}" for n in range(7, 12)]
    assert await collect(bus, 5) == left  # the in-memory backlog matches the journal
    await bus.close()


async def test_concurrent_publishes_share_commits_and_reach_the_consumer_in_id_order(tmp_path: Path) -> None:
    bus = await started(tmp_path / "j.sqlite3")
    journal = bus.journal
    assert journal is not None
    commits = 0
    write_batch = journal.db.write_batch

    async def counted(statements: list[tuple[str, list[tuple[object, ...]]]]) -> None:
        nonlocal commits
        commits += 1
        await write_batch(statements)

    journal.db.write_batch = counted  # type: ignore[method-assign]  # counts the real commits, writes them too
    try:
        ids = await asyncio.gather(*(bus.publish("s", f"e{n}") for n in range(50)))
        assert commits < 50  # publishes that arrived during a commit went together in the next one
        seen = await collect(bus, 50)
        by_id = [payload for _, payload in sorted(zip((int(i.split("-")[0]) for i in ids), [f"e{n}" for n in range(50)],
                                                      strict=True))]
        assert seen == by_id  # the consumer sees them in the order of their ids
    finally:
        await bus.close()
    again = await started(tmp_path / "j.sqlite3")
    try:
        assert await again.journal.unfinished() == []  # type: ignore[union-attr]  # the deletes were committed
    finally:
        await again.close()


async def test_an_entry_no_group_wants_is_not_journaled_and_a_wanted_one_comes_back(tmp_path: Path) -> None:
    bus = await started(tmp_path / "j.sqlite3")
    stop = asyncio.Event()
    handled: list[str] = []

    async def hang(payload: str) -> None:
        handled.append(payload)
        await asyncio.Event().wait()  # the worker dies before acknowledging it

    task = asyncio.create_task(bus.consume("s", "g", "c", hang, stop=stop, wants=lambda p: p.startswith("keep")))
    await asyncio.sleep(0)
    for payload in ("skip-1", "keep-1", "skip-2"):
        await bus.publish("s", payload)
    async with asyncio.timeout(5):
        while not handled:
            await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    left = [payload for *_, payload in await bus.journal.unfinished()]  # type: ignore[union-attr]
    await bus.close()
    assert handled == ["keep-1"] and left == ["keep-1"]


async def test_a_group_left_entries_by_the_last_run_still_takes_only_what_it_wants(tmp_path: Path) -> None:
    bus = await started(tmp_path / "j.sqlite3")
    for payload in ("keep-0", "keep-00"):
        await bus.publish("s", payload)
    assert await collect(bus, 1, block_on="keep-00") == ["keep-0"]  # dies inside keep-00: the group has a row
    await bus.close()

    again = await started(tmp_path / "j.sqlite3")
    seen: list[str] = []
    stop = asyncio.Event()

    async def handler(payload: str) -> None:
        seen.append(payload)

    task = asyncio.create_task(again.consume("s", "g", "c", handler, stop=stop, wants=lambda p: p.startswith("keep")))
    await asyncio.sleep(0)
    await again.publish("s", "skip-1")
    await again.publish("s", "keep-1")
    async with asyncio.timeout(5):
        while len(seen) < 2:
            await asyncio.sleep(0.01)
    stop.set()
    await task
    left = await again.journal.unfinished()  # type: ignore[union-attr]
    await again.close()
    assert seen == ["keep-00", "keep-1"] and left == []
