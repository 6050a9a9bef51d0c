"""Issue 16, "a lost cancel can wedge a worker": the consumer waited without a bound on work that can swallow a
cancel (redis-py sometimes does, mid-command), so a partition stopped with no log line and the worker then
ignored SIGTERM. Every wait of the consumer is bounded now, a stall is logged, and a stop always ends it.
"""

from __future__ import annotations

import asyncio
import logging
from uuid import uuid4

import pytest

from hub.bus.base import BusPolicy
from hub.bus.redis_streams import RedisStreamBus
from tests.redis_keys import REDIS_URL, drop_keys

pytestmark = pytest.mark.redis

POLICY = BusPolicy(max_attempts=3, retry_after=0.5, lease_ttl=1.0, stall_after=0.3)


async def test_a_handler_that_swallows_its_cancel_is_logged_as_stalled_and_a_stop_still_ends_the_consumer(
        caplog: pytest.LogCaptureFixture) -> None:
    prefix = f"otklik-test-{uuid4().hex}:"
    bus = RedisStreamBus(REDIS_URL, policy=POLICY, prefix=prefix)
    await bus.open()
    started, released = asyncio.Event(), asyncio.Event()

    async def stubborn(payload: str) -> None:
        started.set()
        while not released.is_set():
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:  # swallowed, as redis-py sometimes does mid-command
                continue

    stop = asyncio.Event()
    consumer = asyncio.create_task(bus.consume("inbound.0", "ingest", "w1", stubborn, stop=stop))
    try:
        await bus.publish("inbound.0", "wedged")
        await asyncio.wait_for(started.wait(), 5)
        with caplog.at_level(logging.WARNING, logger="hub.bus.redis_streams"):
            await asyncio.sleep(POLICY.stall_after * 2)
            stop.set()
            ended, _ = await asyncio.wait({consumer}, timeout=3)  # although its handler never ends on its own
    finally:
        released.set()
        await asyncio.wait_for(consumer, 5)  # the handler ends now; nothing is left running
        await bus.close()
        await drop_keys(prefix)
    assert ended == {consumer}
    assert any(r.getMessage().startswith("bus stall: handler on") for r in caplog.records)
