"""Issue 16, "per-customer order breaks with more than one worker": both workers read every partition, so one
customer's consecutive entries ran in parallel. A partition is now owned by one consumer at a time (a lease):
entries of a stream never overlap and run in publish order, the partitions are shared between live workers,
and a worker that stops hands its partitions over with what it left pending.

Real Redis; each "worker" is a bus of its own, as in separate processes.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from uuid import uuid4

import pytest

from hub.bus.base import BusPolicy
from hub.bus.redis_streams import RedisStreamBus
from tests.redis_keys import REDIS_URL, drop_keys

pytestmark = pytest.mark.redis

POLICY = BusPolicy(max_attempts=3, retry_after=0.5, batch=8, lease_ttl=1.0)
STREAMS = [f"inbound.{n}" for n in range(4)]
PER_STREAM = 25


class Timeline:
    """Who handled what, when: (stream, payload, consumer, start, end)."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, str, str, float, float]] = []

    def handler(self, stream: str, consumer: str):  # type: ignore[no-untyped-def]
        async def handle(payload: str) -> None:
            loop = asyncio.get_running_loop()
            start = loop.time()
            await asyncio.sleep(0.01)  # I/O, as a real handler's: lets another consumer run meanwhile
            self.spans.append((stream, payload, consumer, start, loop.time()))
        return handle


@asynccontextmanager
async def worker(prefix: str, name: str, timeline: Timeline) -> AsyncIterator[None]:
    bus = RedisStreamBus(REDIS_URL, policy=POLICY, prefix=prefix)
    await bus.open()
    stop = asyncio.Event()
    tasks = [asyncio.create_task(bus.consume(s, "ingest", name, timeline.handler(s, name), stop=stop))
             for s in STREAMS]
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 15)
        await bus.close()


async def publish_all(prefix: str) -> None:
    bus = RedisStreamBus(REDIS_URL, policy=POLICY, prefix=prefix)
    await bus.open()
    try:
        for n in range(PER_STREAM):
            for stream in STREAMS:
                await bus.publish(stream, f"{stream}:{n}")
    finally:
        await bus.close()


async def handled(timeline: Timeline, count: int) -> None:
    async with asyncio.timeout(30):
        while len(timeline.spans) < count:
            await asyncio.sleep(0.05)


async def test_one_partition_is_handled_by_one_worker_at_a_time_in_order() -> None:
    prefix = f"otklik-test-{uuid4().hex}:"
    timeline = Timeline()
    try:
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(worker(prefix, "w1", timeline))
            await stack.enter_async_context(worker(prefix, "w2", timeline))
            await asyncio.sleep(POLICY.lease_ttl)  # both have said they are alive: the partitions are shared
            await publish_all(prefix)
            await handled(timeline, len(STREAMS) * PER_STREAM)
    finally:
        await drop_keys(prefix)

    for stream in STREAMS:
        spans = sorted((s for s in timeline.spans if s[0] == stream), key=lambda s: s[3])
        assert [s[1] for s in spans] == [f"{stream}:{n}" for n in range(PER_STREAM)]  # in order, each once
        overlaps = [(a[1], b[1]) for a, b in itertools.pairwise(spans) if b[3] < a[4]]
        assert overlaps == []
    assert {s[2] for s in timeline.spans} == {"w1", "w2"}  # both workers did share the work


async def test_a_stopped_worker_hands_its_partitions_over_with_what_it_left() -> None:
    prefix = f"otklik-test-{uuid4().hex}:"
    timeline = Timeline()
    try:
        async with worker(prefix, "w2", timeline):
            async with worker(prefix, "w1", timeline):
                await asyncio.sleep(POLICY.lease_ttl)
                await publish_all(prefix)
                await handled(timeline, PER_STREAM)  # w1 stops with a good part still to do
            await handled(timeline, len(STREAMS) * PER_STREAM)
            await asyncio.sleep(POLICY.retry_after * 2)  # nothing comes twice later either
    finally:
        await drop_keys(prefix)

    for stream in STREAMS:
        spans = sorted((s for s in timeline.spans if s[0] == stream), key=lambda s: s[3])
        assert [s[1] for s in spans] == [f"{stream}:{n}" for n in range(PER_STREAM)]
