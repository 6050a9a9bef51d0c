"""The context cache: in-process TTL with a manual clock, and Redis shared between processes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from hub.context.cache import MemoryTtlCache, RedisTtlCache
from tests.fakes.serving import free_port
from tests.manual_clock import ManualClock
from tests.redis_keys import REDIS_URL, drop_keys


async def test_memory_cache_returns_a_value_until_its_ttl_passes() -> None:
    clock = ManualClock()
    cache = MemoryTtlCache(clock=clock)
    await cache.put("k", "v", ttl=30)
    clock.advance(29.9)
    assert await cache.get("k") == "v"
    clock.advance(0.1)
    assert await cache.get("k") is None


async def test_memory_cache_drops_the_oldest_entries_when_full() -> None:
    cache = MemoryTtlCache(max_entries=2, clock=ManualClock())
    for key in "abc":
        await cache.put(key, key.upper(), ttl=30)
    assert [await cache.get(k) for k in "abc"] == [None, "B", "C"]


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own, deleted afterwards."""
    prefix = f"otklik-test-{uuid.uuid4().hex}:"
    yield prefix
    await drop_keys(prefix)


@pytest.mark.redis
async def test_redis_cache_is_shared_by_clients_under_the_same_prefix_and_expires(redis_prefix: str) -> None:
    one, two = Redis.from_url(REDIS_URL, decode_responses=True), Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        await RedisTtlCache(one, redis_prefix).put("/orders/4512", '{"n": 1}', ttl=0.2)
        assert await RedisTtlCache(two, redis_prefix).get("/orders/4512") == '{"n": 1}'
        assert await RedisTtlCache(two, "other:").get("/orders/4512") is None
        await asyncio.sleep(0.3)
        assert await RedisTtlCache(two, redis_prefix).get("/orders/4512") is None
    finally:
        await one.aclose()
        await two.aclose()


@pytest.mark.redis
async def test_redis_cache_keys_do_not_show_phone_numbers(redis_prefix: str) -> None:
    redis = Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        await RedisTtlCache(redis, redis_prefix).put("/customers/lookup?phone=%2B79161234567", "{}", ttl=5)
        keys = [key async for key in redis.scan_iter(match=f"{redis_prefix}*")]
        assert len(keys) == 1 and "7916" not in keys[0]
    finally:
        await redis.aclose()


async def test_redis_cache_that_cannot_reach_redis_is_a_miss_not_an_error() -> None:
    redis = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.5)
    try:
        cache = RedisTtlCache(redis, "otklik-test:")
        await cache.put("k", "v", ttl=5)
        assert await cache.get("k") is None
    finally:
        await redis.aclose()
