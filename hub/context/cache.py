"""A short cache of the CRM's answers: Redis when processes share it, else in-process.

Reads only: actions are never cached. A cache that fails (Redis down) is skipped, never an error: the
CRM is the source of truth and answers without it.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

_log = logging.getLogger(__name__)


class ContextCache(Protocol):
    """Text values under text keys, each kept for `ttl` seconds."""

    async def get(self, key: str) -> str | None:
        """The value, unless absent or expired."""
        ...

    async def put(self, key: str, value: str, ttl: float) -> None:
        """Keep `value` for `ttl` seconds."""
        ...


class MemoryTtlCache:
    """In-process, bounded: the oldest entries go first when full."""

    def __init__(self, *, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()

    async def get(self, key: str) -> str | None:
        """The value, unless absent or expired."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if self._clock() >= expires:
            del self._entries[key]
            return None
        return value

    async def put(self, key: str, value: str, ttl: float) -> None:
        """Keep `value` for `ttl` seconds."""
        self._entries.pop(key, None)
        self._entries[key] = (self._clock() + ttl, value)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


class RedisTtlCache:
    """Shared by every api and worker process; keys are hashed (they hold phone numbers and e-mails)."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = f"{prefix}context:"
        self._healthy = True

    def _key(self, key: str) -> str:
        return self._prefix + hashlib.sha256(key.encode()).hexdigest()[:40]

    async def get(self, key: str) -> str | None:
        """The value, unless absent, expired, or Redis is down."""
        try:
            value = await self._redis.get(self._key(key))
        except (RedisError, OSError) as e:
            self._failed(e)
            return None
        self._recovered()
        return None if value is None else str(value)

    async def put(self, key: str, value: str, ttl: float) -> None:
        """Keep `value` for `ttl` seconds (a no-op while Redis is down)."""
        try:
            await self._redis.set(self._key(key), value, px=max(1, int(ttl * 1000)))
        except (RedisError, OSError) as e:
            self._failed(e)
            return
        self._recovered()

    def _failed(self, error: Exception) -> None:
        if self._healthy:  # once per outage, not once per call
            _log.warning("context cache: redis failed, calling the CRM uncached: %s", error)
        self._healthy = False

    def _recovered(self) -> None:
        if not self._healthy:
            _log.info("context cache: redis is back")
        self._healthy = True
