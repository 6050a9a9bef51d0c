"""Tests share one Redis: each works under its own key prefix and deletes what it left behind."""

from __future__ import annotations

import os

from redis.asyncio import Redis

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


async def drop_keys(prefix: str, url: str = REDIS_URL) -> None:
    """Delete every key under `prefix`."""
    redis = Redis.from_url(url)
    try:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()
