"""`otklik bus dead-letters` and `otklik bus replay` against the real Redis."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid

import pytest

from hub.bus.base import BusPolicy
from hub.bus.redis_streams import RedisStreamBus
from tests.conftest import REDIS_URL
from tests.integration.processes import clean_env
from tests.redis_keys import drop_keys

pytestmark = pytest.mark.redis


def otklik(*args: str, prefix: str) -> subprocess.CompletedProcess[str]:
    env = clean_env(OTKLIK_SECRET_KEY="test-secret-key-0123456789", OTKLIK_BUS="redis",
                    OTKLIK_REDIS_URL=REDIS_URL, OTKLIK_REDIS_PREFIX=prefix)
    return subprocess.run([sys.executable, "-m", "api.cli", "bus", *args], env=env, capture_output=True,
                          text=True, timeout=60)


async def test_dead_letters_are_listed_and_a_replay_is_handled_again() -> None:
    prefix = f"otklik-test-{uuid.uuid4().hex}:"
    bus = RedisStreamBus(REDIS_URL, policy=BusPolicy(max_attempts=1, retry_after=0.2), prefix=prefix)
    await bus.open()
    try:
        stop, handled = asyncio.Event(), []

        async def refuse(payload: str) -> None:
            raise ValueError("store rejected it")

        entry = await bus.publish("inbound.1", '{"poison": true}')
        consumer = asyncio.create_task(bus.consume("inbound.1", "ingest", "w", refuse, stop=stop))
        async with asyncio.timeout(10):
            while not await bus.dead_letters("inbound.1"):
                await asyncio.sleep(0.05)
        stop.set()
        await consumer

        listed = await asyncio.to_thread(otklik, "dead-letters", prefix=prefix)
        replayed = await asyncio.to_thread(otklik, "replay", "inbound.1", entry, prefix=prefix)
        unknown = await asyncio.to_thread(otklik, "replay", "inbound.1", "999-0", prefix=prefix)

        async def record(payload: str) -> None:
            handled.append(payload)

        stop = asyncio.Event()
        consumer = asyncio.create_task(bus.consume("inbound.1", "ingest", "w", record, stop=stop))
        async with asyncio.timeout(10):
            while not handled:
                await asyncio.sleep(0.05)
        stop.set()
        await consumer
        left = await bus.dead_letters("inbound.1")
    finally:
        await bus.close()
        await drop_keys(prefix)

    assert listed.returncode == 0 and f"inbound.1\t{entry}\t1\t" in listed.stdout
    assert "ValueError: store rejected it" in listed.stdout
    assert replayed.returncode == 0 and handled == ['{"poison": true}'] and left == []
    assert unknown.returncode == 1 and "no dead letter 999-0" in unknown.stderr
