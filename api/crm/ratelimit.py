"""Rate limits per API token: `rate_per_minute` requests, in bursts of up to that many.

GCRA (the generic cell rate algorithm, a token bucket kept as one timestamp): each request pushes the
token's "theoretical arrival time" on by 60/rate seconds; a request is refused while that time is more
than a minute ahead. Unlike a fixed window it never lets twice the rate through across a window edge,
and it needs one value per token. On OTKLIK_BUS=redis the value lives in Redis, updated by one Lua
script with Redis's clock, so every API process shares the limit; otherwise in this process's memory.
If Redis cannot be reached the request is let through: a limit must not turn a Redis outage into a
total API outage for reads.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

import redis.asyncio as aioredis
from fastapi import FastAPI, Request
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from api.auth import TokenDep
from hub.core import Hub
from models.errors import RateLimited

log = logging.getLogger(__name__)
PERIOD = 60.0

# KEYS[1]: the token's arrival time; ARGV: seconds per request, burst seconds. Returns the wait ("0": go).
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - now - burst
if wait > 0 then return tostring(wait) end
redis.call('SET', KEYS[1], tostring(tat + interval), 'EX', math.ceil(tat + interval - now) + 1)
return '0'
"""


class RateLimiter(Protocol):
    """Counts requests per key."""

    async def wait(self, key: str, rate_per_minute: int) -> float:
        """Seconds until a request under `key` would be allowed; 0 means it is, and it is counted."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


def gcra(tat: float, now: float, rate_per_minute: int) -> tuple[float, float]:
    """(seconds to wait, new arrival time): one step of GCRA."""
    interval = PERIOD / rate_per_minute
    tat = max(tat, now)
    wait = tat - now - (PERIOD - interval)
    return (wait, tat) if wait > 0 else (0.0, tat + interval)


class MemoryRateLimiter:
    """GCRA in this process's memory (one API process: the embedded default)."""

    def __init__(self) -> None:
        self._tat: dict[str, float] = {}

    async def wait(self, key: str, rate_per_minute: int) -> float:
        """Seconds to wait, or 0 (counted)."""
        now = time.monotonic()
        if len(self._tat) > 10_000:  # forget tokens that are idle (their arrival time has passed)
            self._tat = {k: t for k, t in self._tat.items() if t > now}
        wait, self._tat[key] = gcra(self._tat.get(key, 0.0), now, rate_per_minute)
        return wait

    async def close(self) -> None:
        """Nothing to release."""


class RedisRateLimiter:
    """GCRA in Redis, shared by every API process."""

    def __init__(self, url: str, prefix: str) -> None:
        self.client = aioredis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix
        self.script = self.client.register_script(_GCRA)

    async def wait(self, key: str, rate_per_minute: int) -> float:
        """Seconds to wait, or 0 (counted); 0 when Redis is down."""
        interval = PERIOD / rate_per_minute
        try:
            answer = await self.script(keys=[f"{self.prefix}ratelimit:{key}"], args=[interval, PERIOD - interval])
        except (RedisConnectionError, RedisTimeoutError) as e:
            log.warning("rate limit not checked: Redis unreachable", extra={"reason": str(e)})
            return 0.0
        return float(answer)

    async def close(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()


def build_limiter(hub: Hub) -> RateLimiter:
    """Shared in Redis when the bus is Redis (several API processes), else in memory."""
    settings = hub.settings
    if settings.bus == "redis":
        return RedisRateLimiter(settings.redis_url, settings.redis_prefix)
    return MemoryRateLimiter()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build the limiter once the app's hub exists; close it at shutdown."""
    limiter = build_limiter(app.state.hub)
    app.state.crm_limiter = limiter
    try:
        yield
    finally:
        await limiter.close()


async def rate_limit(request: Request, token: TokenDep) -> None:
    """Count the request against its token; RateLimited (429, Retry-After) when over the limit."""
    limiter: RateLimiter = request.app.state.crm_limiter
    wait = await limiter.wait(token.id, token.rate_per_minute)
    if wait > 0:
        raise RateLimited(f"token {token.name!r} is over {token.rate_per_minute} requests a minute",
                          retry_after=max(1, math.ceil(wait)))
