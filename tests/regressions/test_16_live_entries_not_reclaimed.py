"""Issue 16, "entries held by a live worker are reclaimed": a worker took a batch of entries, but only the one
in hand was protected from reclaim; when the batch outlasted `retry_after`, another worker took the rest and
two workers ran one entry. Now only the partition's owner runs its entries, whatever they take, and a worker
that stops beating hands them over (tests/regressions/test_16_order_with_workers.py, bench/faults.py).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from uuid import uuid4

import pytest

from hub.bus.base import BusPolicy
from hub.bus.redis_streams import RedisStreamBus
from tests.redis_keys import REDIS_URL, drop_keys

pytestmark = pytest.mark.redis

POLICY = BusPolicy(max_attempts=5, retry_after=0.3, batch=8, lease_ttl=1.0)


async def test_a_slow_batch_is_not_taken_over_while_its_worker_is_alive() -> None:
    prefix = f"otklik-test-{uuid4().hex}:"
    buses = [RedisStreamBus(REDIS_URL, policy=POLICY, prefix=prefix) for _ in range(2)]
    handled: Counter[str] = Counter()

    async def slow(payload: str) -> None:
        handled[payload] += 1
        await asyncio.sleep(POLICY.retry_after * 1.5)  # the batch outlasts the reclaim window several times

    stop = asyncio.Event()
    try:
        for bus in buses:
            await bus.open()
        for n in range(6):
            await buses[0].publish("inbound.0", f"m{n}")
        consumers = [asyncio.create_task(bus.consume("inbound.0", "ingest", f"w{i}", slow, stop=stop))
                     for i, bus in enumerate(buses)]
        async with asyncio.timeout(20):
            while len(handled) < 6:
                await asyncio.sleep(0.05)
        await asyncio.sleep(POLICY.retry_after * 3)  # any takeover would have happened by now
        stop.set()
        await asyncio.wait_for(asyncio.gather(*consumers), 10)
    finally:
        for bus in buses:
            await bus.close()
        await drop_keys(prefix)
    assert handled == {f"m{n}": 1 for n in range(6)}
