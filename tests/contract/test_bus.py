"""The Bus contract, run against every adapter: at-least-once groups, retry, dead letters, broadcast."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import cast
from uuid import uuid4

import pytest

from hub.bus.base import Bus, BusPolicy, Handler
from hub.bus.memory import MemoryBus
from hub.bus.redis_streams import RedisStreamBus
from models.errors import Unavailable
from tests.redis_keys import drop_keys

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
POLICY = BusPolicy(max_attempts=3, retry_after=0.2, batch=8)
WAIT = 5.0  # the longest any expectation may take before the test fails instead of hanging
STREAM = "inbound"


@pytest.fixture
async def memory_bus() -> AsyncIterator[MemoryBus]:
    bus = MemoryBus(POLICY)
    await bus.open()
    yield bus
    await bus.close()


@pytest.fixture
async def redis_bus() -> AsyncIterator[RedisStreamBus]:
    prefix = f"otklik-test-{uuid4().hex}:"
    bus = RedisStreamBus(REDIS_URL, policy=POLICY, prefix=prefix)
    try:
        await bus.open()
    except Unavailable as e:
        await bus.close()
        pytest.skip(f"no Redis at {REDIS_URL} (set REDIS_URL): {e}")
    yield bus
    await bus.close()
    await drop_keys(prefix, REDIS_URL)


@pytest.fixture(params=["memory_bus", pytest.param("redis_bus", marks=pytest.mark.redis)])
def bus(request: pytest.FixtureRequest) -> Bus:
    return cast(Bus, request.getfixturevalue(request.param))


class Recorder:
    """A handler that remembers the payloads it was given."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def __call__(self, payload: str) -> None:
        self.seen.append(payload)
        await asyncio.sleep(0)  # let other consumers interleave, as real handlers doing I/O would


@asynccontextmanager
async def consuming(bus: Bus, handler: Handler, group: str = "workers", consumer: str = "w1") -> AsyncIterator[None]:
    """Run one consumer for the duration of the block, then stop it and wait for it to end."""
    stop = asyncio.Event()
    task = asyncio.create_task(bus.consume(STREAM, group, consumer, handler, stop=stop))
    await asyncio.sleep(0)  # the consumer joins its group before the block publishes
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT)


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait until `condition` holds; fail after WAIT seconds."""
    async with asyncio.timeout(WAIT):
        while not condition():
            await asyncio.sleep(0.01)


async def dead_letters_reach(bus: Bus, count: int) -> None:
    """Wait until the stream has `count` dead letters; fail after WAIT seconds."""
    async with asyncio.timeout(WAIT):
        while len(await bus.dead_letters(STREAM)) < count:
            await asyncio.sleep(0.05)


async def kill_mid_handler(bus: Bus, consumer: str) -> None:
    """Run a consumer until its handler holds an entry, then cancel it there, as a killed worker."""
    started = asyncio.Event()

    async def hang(payload: str) -> None:
        started.set()
        await asyncio.Event().wait()  # never returns: the worker dies here

    doomed = asyncio.create_task(bus.consume(STREAM, "workers", consumer, hang, stop=asyncio.Event()))
    await asyncio.wait_for(started.wait(), WAIT)
    doomed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(doomed, WAIT)


async def quiet_period() -> None:
    """Long enough for any redelivery that is going to happen to have happened."""
    await asyncio.sleep(POLICY.retry_after * 3)


async def test_published_entries_reach_the_handler_in_order(bus: Bus) -> None:
    recorder = Recorder()
    payloads = [f"m{i}" for i in range(20)]
    async with consuming(bus, recorder):
        for payload in payloads:
            await bus.publish(STREAM, payload)
        await eventually(lambda: len(recorder.seen) == len(payloads))
    assert recorder.seen == payloads


async def test_entries_published_before_any_consumer_are_delivered(bus: Bus) -> None:
    for payload in ("early-1", "early-2"):
        await bus.publish(STREAM, payload)
    recorder = Recorder()
    async with consuming(bus, recorder):
        await eventually(lambda: len(recorder.seen) == 2)
    assert recorder.seen == ["early-1", "early-2"]


async def test_consumers_of_one_group_share_entries_each_handled_once(bus: Bus) -> None:
    first, second = Recorder(), Recorder()
    payloads = [f"m{i}" for i in range(50)]
    async with consuming(bus, first, consumer="w1"), consuming(bus, second, consumer="w2"):
        for payload in payloads:
            await bus.publish(STREAM, payload)
        await eventually(lambda: len(first.seen) + len(second.seen) >= len(payloads))
        await quiet_period()
    handled = Counter(first.seen + second.seen)
    assert sorted(handled) == sorted(payloads)
    assert set(handled.values()) == {1}


async def test_every_group_gets_every_entry(bus: Bus) -> None:
    audit, notify = Recorder(), Recorder()
    payloads = [f"m{i}" for i in range(10)]
    async with consuming(bus, audit, group="audit"), consuming(bus, notify, group="notify"):
        for payload in payloads:
            await bus.publish(STREAM, payload)
        await eventually(lambda: len(audit.seen) == len(notify.seen) == len(payloads))
    assert audit.seen == payloads
    assert notify.seen == payloads


async def test_a_group_is_handed_only_the_entries_it_wants_and_others_still_get_every_entry(bus: Bus) -> None:
    picky, audit = Recorder(), Recorder()
    payloads = [f"m{i}" for i in range(10)]
    stop = asyncio.Event()
    task = asyncio.create_task(bus.consume(STREAM, "picky", "w1", picky, stop=stop,
                                           wants=lambda payload: payload.endswith(("3", "7"))))
    await asyncio.sleep(0)
    try:
        async with consuming(bus, audit, group="audit"):
            for payload in payloads:
                await bus.publish(STREAM, payload)
            await eventually(lambda: len(audit.seen) == len(payloads) and len(picky.seen) == 2)
            await quiet_period()  # nothing unwanted comes later, nothing is redelivered
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT)
    assert picky.seen == ["m3", "m7"]
    assert audit.seen == payloads


async def test_entry_whose_handler_fails_once_is_retried_then_acked(bus: Bus) -> None:
    calls: list[str] = []

    async def flaky(payload: str) -> None:
        calls.append(payload)
        if len(calls) == 1:
            raise ConnectionResetError("provider hung up")

    async with consuming(bus, flaky):
        await bus.publish(STREAM, "hello")
        await eventually(lambda: len(calls) == 2)
        await quiet_period()
    assert calls == ["hello", "hello"]
    assert await bus.dead_letters(STREAM) == []


async def test_entry_failing_every_attempt_is_dead_lettered_with_last_error_and_not_redelivered(bus: Bus) -> None:
    calls: Counter[str] = Counter()

    async def refuse(payload: str) -> None:
        calls[payload] += 1
        raise ValueError(f"refused {payload} on attempt {calls[payload]}")

    async with consuming(bus, refuse):
        first_id = await bus.publish(STREAM, "poison-1")
        second_id = await bus.publish(STREAM, "poison-2")
        await dead_letters_reach(bus, 2)
        await quiet_period()
    letters = await bus.dead_letters(STREAM)
    assert [(d.entry_id, d.payload) for d in letters] == [(first_id, "poison-1"), (second_id, "poison-2")]
    assert all(d.attempts == POLICY.max_attempts for d in letters)
    assert f"refused poison-1 on attempt {POLICY.max_attempts}" in letters[0].error
    assert all(d.at.utcoffset() == timedelta(0) for d in letters)
    assert calls == {"poison-1": POLICY.max_attempts, "poison-2": POLICY.max_attempts}
    assert len(await bus.dead_letters(STREAM, limit=1)) == 1


async def test_entry_of_a_consumer_killed_mid_handler_is_finished_by_another_once(bus: Bus) -> None:
    await bus.publish(STREAM, "in-flight")
    await kill_mid_handler(bus, "doomed")
    survivor = Recorder()
    async with consuming(bus, survivor, consumer="survivor"):
        await eventually(lambda: survivor.seen == ["in-flight"])
        await quiet_period()
    assert survivor.seen == ["in-flight"]
    assert await bus.dead_letters(STREAM) == []


async def test_entry_that_kills_its_consumer_every_time_is_dead_lettered_after_max_attempts(bus: Bus) -> None:
    await bus.publish(STREAM, "poison")
    for attempt in range(POLICY.max_attempts):
        await kill_mid_handler(bus, f"doomed-{attempt}")
    survivor = Recorder()
    async with consuming(bus, survivor, consumer="survivor"):
        await dead_letters_reach(bus, 1)
        await quiet_period()
    [letter] = await bus.dead_letters(STREAM)
    assert (letter.payload, letter.attempts) == ("poison", POLICY.max_attempts)
    assert survivor.seen == []


async def test_setting_stop_ends_consume_promptly(bus: Bus) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(bus.consume(STREAM, "workers", "w1", Recorder(), stop=stop))
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 1.5)


async def test_broadcast_reaches_current_subscribers_only(bus: Bus) -> None:
    async with bus.subscribe("inbox") as messages:
        await bus.broadcast("other-topic", "not for us")
        await bus.broadcast("inbox", "hello")
        assert await asyncio.wait_for(anext(messages), WAIT) == "hello"
    await bus.broadcast("inbox", "after unsubscribe")  # nobody listens: nobody hears it
    async with bus.subscribe("inbox") as messages:
        await bus.broadcast("inbox", "fresh")
        assert await asyncio.wait_for(anext(messages), WAIT) == "fresh"


async def test_broadcast_without_subscribers_is_dropped_silently(bus: Bus) -> None:
    await bus.broadcast("inbox", "into the void")


UNREACHABLE = "redis://127.0.0.1:1/0"


async def test_redis_publish_raises_unavailable_when_redis_is_unreachable() -> None:
    bus = RedisStreamBus(UNREACHABLE, policy=POLICY)
    with pytest.raises(Unavailable):
        await asyncio.wait_for(bus.publish(STREAM, "lost?"), WAIT)
    await bus.close()


async def test_redis_ping_raises_unavailable_when_redis_is_unreachable() -> None:
    bus = RedisStreamBus(UNREACHABLE, policy=POLICY)
    with pytest.raises(Unavailable):
        await asyncio.wait_for(bus.ping(), WAIT)
    await bus.close()


async def test_a_replayed_dead_letter_is_handled_again_and_leaves_the_dead_letters(bus: Bus) -> None:
    broken = True
    handled: list[str] = []

    async def flaky(payload: str) -> None:
        if broken:
            raise ValueError("downstream is broken")
        handled.append(payload)

    async with consuming(bus, flaky):
        entry_id = await bus.publish(STREAM, "order-4512")
        await dead_letters_reach(bus, 1)
        broken = False  # the cause was fixed
        assert await bus.replay(STREAM, entry_id) is True
        await eventually(lambda: handled == ["order-4512"])
    assert await bus.dead_letters(STREAM) == []
    assert await bus.replay(STREAM, entry_id) is False
